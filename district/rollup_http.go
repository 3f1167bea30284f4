package district

import (
	"bytes"
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"qiao/metrics"
)

// RankInfo answers GET /v1/metrics/rank: where the device's school stands
// in the district's roll-up of a term, and the district's view of its
// devices' syncs. The app shows it on the school's dashboard.
type RankInfo struct {
	Term     string             `json:"term"`
	School   string             `json:"school"`
	Rank     int                `json:"rank"` // 1 is first; 0 if the school is not in the roll-up
	Schools  int                `json:"schools"`
	Headline string             `json:"headline"` // the indicator schools are ranked by
	Values   map[string]float64 `json:"values"`   // the school's indicators as the district computed them
	Averages map[string]float64 `json:"averages"` // the district averages
	Below    []string           `json:"below"`    // the school's indicators under target
	Devices  []RankDevice       `json:"devices"`
	At       time.Time          `json:"at"` // when the roll-up was computed
}

// RankDevice is one of the school's devices as the district sees it.
// Times are unix seconds, 0 for never.
type RankDevice struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	LastPush int64  `json:"last_push"`
	LastPull int64  `json:"last_pull"`
	Revoked  bool   `json:"revoked"`
}

// errBadTerm refuses a missing or malformed term.
func errBadTerm(err error) *APIError {
	return &APIError{Status: 400, Code: "bad_term", Message: err.Error() + "; give ?term=2026-autumn"}
}

// metricsRank serves GET /v1/metrics/rank?term=2026-autumn to a signed device.
func (s *Server) metricsRank(w http.ResponseWriter, r *http.Request) {
	dev, _ := DeviceFrom(r.Context())
	term, err := ParseTerm(r.URL.Query().Get("term"))
	if err != nil {
		e := errBadTerm(err)
		writeError(w, e.Status, e.Code, e.Message)
		return
	}
	ro, err := s.rollups.get(r.Context(), s.db, term, s.now())
	if err != nil {
		slog.Error("roll-up", "term", term, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the server could not compute the roll-up")
		return
	}
	info := RankInfo{Term: term, School: dev.SchoolID, Schools: len(ro.Schools), Headline: ro.Headline,
		Values: map[string]float64{}, Averages: ro.Averages, Below: []string{}, At: ro.At}
	for _, sc := range ro.Schools {
		if sc.ID == dev.SchoolID {
			info.Rank, info.Values, info.Below = sc.Rank, sc.Values, sc.Below
		}
	}
	if info.Devices, err = s.db.schoolDevices(r.Context(), dev.SchoolID); err != nil {
		slog.Error("rank devices", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the server could not read the school's devices")
		return
	}
	writeJSON(w, http.StatusOK, info)
}

// schoolDevices lists school's devices with their last push and pull.
func (d *DB) schoolDevices(ctx context.Context, school string) ([]RankDevice, error) {
	rows, err := d.query(ctx, `SELECT d.id, d.name, d.role, coalesce(sd.last_push, 0), coalesce(sd.last_pull, 0), coalesce(d.revoked_at, 0)
		FROM devices d LEFT JOIN sync_devices sd ON sd.device_id = d.id WHERE d.school_id = ? ORDER BY d.name, d.id`, school)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []RankDevice{}
	for rows.Next() {
		var v RankDevice
		var revoked int64
		if err := rows.Scan(&v.ID, &v.Name, &v.Role, &v.LastPush, &v.LastPull, &revoked); err != nil {
			return nil, err
		}
		v.Revoked = revoked != 0
		out = append(out, v)
	}
	return out, rows.Err()
}

// pageTerm is the term a status request asks for: ?term=, or the current one.
func (p *statusPage) pageTerm(w http.ResponseWriter, r *http.Request) (string, bool) {
	term := r.URL.Query().Get("term")
	if term == "" {
		term = metrics.TermOf(p.s.now()).Key()
	}
	term, err := ParseTerm(term)
	if err != nil {
		statusText(w, http.StatusBadRequest, "Bad term: "+err.Error()+" (e.g. ?term=2026-autumn).")
		return "", false
	}
	return term, true
}

// rollup is the roll-up a status request asks for; it answers the
// request itself when there is none.
func (p *statusPage) rollup(w http.ResponseWriter, r *http.Request) (Rollup, bool) {
	term, ok := p.pageTerm(w, r)
	if !ok {
		return Rollup{}, false
	}
	ro, err := p.s.rollups.get(r.Context(), p.s.db, term, p.s.now())
	if err != nil {
		slog.Error("roll-up", "term", term, "err", err)
		statusText(w, http.StatusInternalServerError, "The server could not compute the roll-up.")
		return Rollup{}, false
	}
	return ro, true
}

// indicators serves the roll-up's page, GET /status/indicators?term=….
func (p *statusPage) indicators(w http.ResponseWriter, r *http.Request) {
	ro, ok := p.rollup(w, r)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := rollupTmpl.Execute(&buf, ro); err != nil {
		slog.Error("roll-up page", "err", err)
		statusText(w, http.StatusInternalServerError, "The server could not render the roll-up.")
		return
	}
	noStore(w, "text/html; charset=utf-8")
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	w.Write(buf.Bytes())
}

// indicatorsXLSX serves the roll-up as a workbook, GET /status/indicators.xlsx?term=….
func (p *statusPage) indicatorsXLSX(w http.ResponseWriter, r *http.Request) {
	ro, ok := p.rollup(w, r)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := ro.WriteXLSX(&buf); err != nil {
		slog.Error("roll-up xlsx", "err", err)
		statusText(w, http.StatusInternalServerError, "The server could not write the workbook.")
		return
	}
	noStore(w, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="indicators-`+ro.Term+`.xlsx"`)
	w.Write(buf.Bytes())
}

// formatValue shows an indicator's value: whole numbers as such, others
// with two decimals.
func formatValue(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// valueText is m[k] as formatValue shows it, or "—" if m has no value for k.
func valueText(m map[string]float64, k string) string {
	v, ok := m[k]
	if !ok {
		return "—"
	}
	return formatValue(v)
}

var rollupTmpl = template.Must(template.New("rollup").Funcs(template.FuncMap{
	"num":   formatValue,
	"value": func(m map[string]float64, k string) string { return valueText(m, k) },
	"target": func(m map[string]float64, k string) string {
		if t, ok := m[k]; ok {
			return formatValue(t)
		}
		return ""
	},
	"clock": func(t time.Time) string { return t.Format("2006-01-02 15:04:05") },
}).Parse(rollupHTML))

const rollupHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>School indicators {{.Term}}</title>
<style>
body { font: 13px/1.4 system-ui, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 12px; color: #222; }
h1 { font-size: 18px; margin: 0 0 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #ccc; padding: 2px 5px; text-align: left; }
th { background: #eee; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
td.below { background: #fdd; color: #a00; font-weight: bold; }
tr.avg td { font-weight: bold; background: #f6f6f6; }
.dim { color: #777; }
</style>
</head>
<body>
<h1>School indicators, term {{.Term}}</h1>
<form method="get" action="/status/indicators"><label>Term <input name="term" value="{{.Term}}" size="12"></label> <button>Show</button>
<a href="/status/indicators.xlsx?term={{.Term}}">Download .xlsx</a> · <a href="/status">Status</a></form>
<p class="dim">Computed {{clock .At}} from the schools' synced records. Ranked by {{range .Indicators}}{{if eq .Key $.Headline}}{{.Label}}{{end}}{{end}}, highest first; equal values share a rank. Red: under the school's target.</p>
<table>
<tr><th>Rank</th><th>School</th>{{range .Indicators}}<th title="{{.Key}}">{{.Label}}</th>{{end}}</tr>
{{- $inds := .Indicators}}
{{- range .Schools}}{{$s := .}}
<tr><td class="n">{{if .Rank}}{{.Rank}}{{else}}—{{end}}</td><td title="{{.ID}}">{{.Name}}</td>{{range $inds}}<td class="n{{if $s.IsBelow .Key}} below{{end}}" title="target {{target $s.Targets .Key}}">{{value $s.Values .Key}}</td>{{end}}</tr>
{{- else}}
<tr><td colspan="{{len .Indicators}}" class="dim">No schools yet.</td></tr>
{{- end}}
<tr class="avg"><td></td><td>District average</td>{{range .Indicators}}<td class="n">{{value $.Averages .Key}}</td>{{end}}</tr>
</table>
</body>
</html>
`
