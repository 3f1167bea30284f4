package district

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"qiao/syncproto"
)

// BatchContentType marks a gzip-compressed JSON batch (push or pull page).
const BatchContentType = "application/x-qiao-batch"

// DefaultPullLimit is the page size when a pull does not ask for one.
const DefaultPullLimit = 1000

// refuse logs and records a refused sync request and answers it.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, dev Device, e *APIError) {
	slog.Warn("sync refused", "reason", e.Code, "device", dev.ID, "school", dev.SchoolID, "remote", r.RemoteAddr, "detail", e.Message)
	s.db.LogSyncError(r.Context(), dev.ID, e.Code, e.Message, s.now())
	writeJSON(w, e.Status, e)
}

// push applies a batch of the device's changes: POST /v1/push.
func (s *Server) push(w http.ResponseWriter, r *http.Request) {
	dev, _ := DeviceFrom(r.Context())
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_body", "the request body could not be read")
		return
	}
	batch, err := syncproto.DecodePush(body)
	if err != nil {
		status, code := http.StatusBadRequest, "bad_batch"
		if errors.Is(err, syncproto.ErrTooLarge) {
			status, code = http.StatusRequestEntityTooLarge, "batch_too_large"
		}
		s.refuse(w, r, dev, &APIError{Status: status, Code: code, Message: "the batch was refused: " + err.Error()})
		return
	}
	res, err := s.db.ApplyPush(r.Context(), dev, batch.Changes, s.now())
	var apiErr *APIError
	switch {
	case errors.As(err, &apiErr):
		s.refuse(w, r, dev, apiErr)
		return
	case err != nil:
		slog.Error("push", "device", dev.ID, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the server could not store the batch; try again")
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// pull answers the next page of rows after a cursor: GET /v1/pull?after=N&limit=M[&full=1].
func (s *Server) pull(w http.ResponseWriter, r *http.Request) {
	dev, _ := DeviceFrom(r.Context())
	q := r.URL.Query()
	after, err := strconv.ParseInt(q.Get("after"), 10, 64)
	if q.Get("after") == "" {
		after, err = 0, nil
	}
	if err != nil || after < 0 {
		writeError(w, http.StatusBadRequest, "bad_cursor", "after must be a sequence number (0 or more)")
		return
	}
	limit := DefaultPullLimit
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > syncproto.MaxChanges {
			writeError(w, http.StatusBadRequest, "bad_limit", "limit must be between 1 and "+strconv.Itoa(syncproto.MaxChanges))
			return
		}
	}
	// A full pull (after=0, then full=1 on every later page) includes the
	// device's own rows: it is recovering from a restore.
	withOwn := after == 0 || q.Get("full") == "1"
	page, err := s.db.Pull(r.Context(), dev, after, limit, withOwn, s.now())
	if err != nil {
		slog.Error("pull", "device", dev.ID, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the server could not read the rows; try again")
		return
	}
	body, err := syncproto.Encode(page)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", "the server could not encode the page")
		return
	}
	noStore(w, BatchContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

// syncState answers the server's checkpoints for the device: GET /v1/sync/state.
func (s *Server) syncState(w http.ResponseWriter, r *http.Request) {
	dev, _ := DeviceFrom(r.Context())
	st, err := s.db.SyncState(r.Context(), dev)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", "the server could not read its checkpoints")
		return
	}
	writeJSON(w, http.StatusOK, st)
}
