package replica

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"qiao/district"
	"qiao/store"
)

// metaRank is the store's meta key of the last rank fetched for a term.
func metaRank(term string) string { return "metrics.rank." + term }

// FetchRank asks the district where this device's school stands in the
// roll-up of term (e.g. "2026-autumn") and keeps the answer in the store,
// so CachedRank can show it offline with its date (RankInfo.At). A refusal
// is a *ServerError (code bad_term for a malformed term).
func (r *Replica) FetchRank(ctx context.Context, term string) (district.RankInfo, error) {
	var info district.RankInfo
	if err := r.Call(ctx, http.MethodGet, "/v1/metrics/rank?term="+url.QueryEscape(term), nil, &info); err != nil {
		return info, err
	}
	b, err := json.Marshal(info)
	if err != nil {
		return info, err
	}
	return info, r.st.Update(ctx, func(tx *store.Tx) error { return tx.SetMeta(metaRank(term), string(b)) })
}

// CachedRank returns the rank of term last fetched by FetchRank; ok is
// false if none was.
func CachedRank(ctx context.Context, st *store.Store, term string) (info district.RankInfo, ok bool, err error) {
	v, err := st.Meta(ctx, metaRank(term))
	if err != nil || v == "" {
		return info, false, err
	}
	if err := json.Unmarshal([]byte(v), &info); err != nil {
		return info, false, nil // an unreadable cache is no cache
	}
	return info, true, nil
}
