package district

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"qiao/syncproto"
)

func TestRankTiesShareAndStayInNameOrder(t *testing.T) {
	ss := []RollupSchool{
		{ID: "5", Name: "E", Values: map[string]float64{"h": 1}},
		{ID: "2", Name: "B", Values: map[string]float64{"h": 7}},
		{ID: "4", Name: "A", Values: map[string]float64{"h": 7}},
		{ID: "1", Name: "C", Values: map[string]float64{"h": 9}},
		{ID: "3", Name: "A", Values: map[string]float64{"h": 7}},
		{ID: "6", Name: "D", Values: map[string]float64{}},
		{ID: "7", Name: "F", Values: map[string]float64{"h": 0}},
	}
	rank(ss, "h")
	var got []string
	for _, s := range ss {
		got = append(got, fmt.Sprintf("%d:%s", s.Rank, s.ID))
	}
	if want := []string{"1:1", "2:3", "2:4", "2:2", "5:5", "6:7", "0:6"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ranks %v, want %v", got, want)
	}
}

// rollupTerm is the term the roll-up tests use, and a time inside it.
const rollupTerm = "2026-autumn"

var inTerm = time.Date(2026, 10, 12, 9, 0, 0, 0, time.UTC)

// hosted is a synced attendance row: school's classroom d hosted a
// 40-minute lesson at `at`.
func hosted(d device, school string, seq int64, at time.Time, deleted bool) syncproto.Change {
	id := newID()
	return syncproto.Change{Seq: seq, Table: "classroom_attendance", ID: id, SchoolID: school, Deleted: deleted,
		HLC: uint64(time.Now().UnixMilli())<<16 | uint64(seq), Origin: d.id,
		Data: json.RawMessage(fmt.Sprintf(`{"id":%q,"lesson_id":%q,"role":"host","host_school":%q,"subject":"数学","grade":5,`+
			`"joined_at":%d,"left_at":%d,"seconds":2400}`, id, newID(), school, at.Unix(), at.Unix()+2400))}
}

// rollupFixture makes four schools, each with one classroom: A and B
// host 96 lessons in the term (课时达标率 100 %, the default target),
// C 48 (50 %; plus a deleted one and one in the term before), D none (its
// rate is unknown: no classroom held a lesson).
func rollupFixture(t *testing.T, cfg Config) (*fixture, map[string]string, map[string]device) {
	f := newFixture(t, cfg)
	ids := map[string]string{"A": f.school}
	devs := map[string]device{}
	for _, n := range []string{"B", "C", "D"} {
		id, err := f.s.db.AddSchool(context.Background(), n+" School", "")
		if err != nil {
			t.Fatal(err)
		}
		ids[n] = id
	}
	for n, count := range map[string]int{"A": 96, "B": 96, "C": 48, "D": 0} {
		d := f.enrolNamed(ids[n], n+" classroom")
		devs[n] = d
		var cs []syncproto.Change
		for i := range count {
			cs = append(cs, hosted(d, ids[n], int64(len(cs)+1), inTerm.Add(time.Duration(i)*time.Hour), false))
		}
		if n == "C" {
			cs = append(cs, hosted(d, ids[n], int64(len(cs)+1), inTerm, true))
			cs = append(cs, hosted(d, ids[n], int64(len(cs)+1), inTerm.AddDate(0, -3, 0), false))
		}
		if len(cs) > 0 {
			if st := f.push(d, cs); st != http.StatusOK {
				t.Fatalf("push for %s: %d", n, st)
			}
		}
	}
	return f, ids, devs
}

func TestRollupRanksSchools(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		f, ids, _ := rollupFixture(t, cfg)
		ro, err := f.s.db.Rollup(context.Background(), rollupTerm, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range ro.Schools {
			v, ok := s.Values[ro.Headline]
			got = append(got, fmt.Sprintf("%d:%s=%v,%v below:%v", s.Rank, s.ID, v, ok, s.IsBelow(ro.Headline)))
		}
		// A's name ("Tsogt School") sorts after "B School": B is listed first at the shared rank.
		want := []string{
			fmt.Sprintf("1:%s=100,true below:false", ids["B"]), fmt.Sprintf("1:%s=100,true below:false", ids["A"]),
			fmt.Sprintf("3:%s=50,true below:true", ids["C"]), fmt.Sprintf("0:%s=0,false below:false", ids["D"])}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("roll-up\n got  %v\n want %v", got, want)
		}
		if avg := ro.Averages[ro.Headline]; avg != 250.0/3 {
			t.Errorf("district average %v, want 83.33 (D has no value)", avg)
		}
		if h := ro.Schools[2].Values["lessons_hosted"]; h != 48 {
			t.Errorf("C hosted %v, want 48", h)
		}
		var te *TermError
		if _, err := f.s.db.Rollup(context.Background(), "2026-winter", time.Now()); !errors.As(err, &te) {
			t.Errorf("bad term: %v", err)
		}
		var text bytes.Buffer
		ro.WriteText(&text)
		if !strings.Contains(text.String(), "District average") || !strings.Contains(text.String(), "50*") {
			t.Errorf("text table:\n%s", text.String())
		}
	})
}

func TestMetricsRankEndpoint(t *testing.T) {
	f, ids, devs := rollupFixture(t, Config{DataDir: t.TempDir(), Insecure: true})
	// Unsigned: refused.
	resp, err := http.Get(f.url + "/v1/metrics/rank?term=" + rollupTerm)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned: status %d, want 401", resp.StatusCode)
	}
	st, raw := f.signed(devs["C"], "GET", "/v1/metrics/rank?term=winter", nil)
	if st != http.StatusBadRequest || !strings.Contains(string(raw), "bad_term") {
		t.Errorf("bad term: %d %s", st, raw)
	}
	st, raw = f.signed(devs["C"], "GET", "/v1/metrics/rank?term="+rollupTerm, nil)
	if st != http.StatusOK {
		t.Fatalf("rank: %d %s", st, raw)
	}
	var info RankInfo
	if err := json.Unmarshal(raw, &info); err != nil {
		t.Fatal(err)
	}
	if info.School != ids["C"] || info.Rank != 3 || info.Schools != 4 || info.Values[info.Headline] != 50 ||
		info.Averages[info.Headline] != 250.0/3 || !slices.Contains(info.Below, info.Headline) {
		t.Errorf("rank info %+v", info)
	}
	if len(info.Devices) != 1 || info.Devices[0].ID != devs["C"].id || info.Devices[0].LastPush == 0 {
		t.Errorf("devices %+v, want C's laptop with its push", info.Devices)
	}
}

func TestIndicatorsPageAndWorkbook(t *testing.T) {
	f, ids, _ := rollupFixture(t, Config{DataDir: t.TempDir(), Insecure: true})
	get := func(path, remote string) (int, []byte) {
		req := httptest.NewRequest("GET", path, nil)
		req.RemoteAddr = remote
		w := httptest.NewRecorder()
		f.s.Handler().ServeHTTP(w, req)
		body, _ := io.ReadAll(w.Result().Body)
		return w.Code, body
	}
	code, page := get("/status/indicators?term="+rollupTerm, "127.0.0.1:5000")
	if code != 200 || !strings.Contains(string(page), "C School") || !strings.Contains(string(page), `<td class="n below" title="target 100">50</td>`) {
		t.Errorf("page: %d\n%s", code, page)
	}
	if code, _ := get("/status/indicators?term="+rollupTerm, "192.0.2.7:5000"); code != http.StatusForbidden {
		t.Errorf("remote without a password: %d, want 403", code)
	}
	if code, _ := get("/status/indicators?term=x", "127.0.0.1:5000"); code != http.StatusBadRequest {
		t.Errorf("bad term: %d, want 400", code)
	}
	code, book := get("/status/indicators.xlsx?term="+rollupTerm, "127.0.0.1:5000")
	if code != 200 {
		t.Fatalf("workbook: %d %s", code, book)
	}
	x, err := excelize.OpenReader(bytes.NewReader(book))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows("Indicators")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 6 || rows[3][2] != ids["C"] || rows[3][0] != "3" || rows[4][0] != "—" || rows[5][1] != "District average" {
		t.Errorf("workbook rows %q", rows)
	}
}
