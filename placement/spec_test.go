package placement

// Tests that docs/placement-spec.md is complete: the independent Python
// implementation in tools/placement-ref, written from the spec alone, must
// reproduce Draw bit for bit on a range of inputs.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// specExample is the worked example of docs/placement-spec.md §9.
func specExample() (*Roster, Params, string, string) {
	d := func(y int, m time.Month, dd int) Date { return DateOf(y, m, dd) }
	r := &Roster{Pupils: []Pupil{
		{ID: "P01", Name: "张伟", Gender: Male, Birth: d(2019, 9, 3), Score: 8850, HasScore: true, Apart: "A1"},
		{ID: "P02", Name: "王芳", Gender: Female, Birth: d(2019, 11, 20), Score: 9200, HasScore: true},
		{ID: "P03", Name: "李娜", Gender: Female, Birth: d(2020, 1, 15), Score: 7625, HasScore: true, Together: "T1"},
		{ID: "P04", Name: "李强", Gender: Male, Birth: d(2020, 1, 15), Score: 7975, HasScore: true, Together: "T1"},
		{ID: "P05", Name: "刘洋", Gender: Male, Birth: d(2020, 3, 8), Score: 9500, HasScore: true, Apart: "A1"},
		{ID: "P06", Name: "陈静", Gender: Female, Birth: d(2019, 12, 1), Score: 8100, HasScore: true, Special: true},
		{ID: "P07", Name: "杨磊", Gender: Male, Birth: d(2020, 6, 30)},
		{ID: "P08", Name: "赵敏", Gender: Female, Birth: d(2020, 8, 31), Score: 6850, HasScore: true},
	}, Teachers: []string{"李老师", "王老师"}}
	return r, Params{Classes: 2, BalanceScore: true, BalanceAge: true}, "1 2 3", ""
}

func TestSpecWorkedExample(t *testing.T) {
	r, p, entropy, secret := specExample()
	const canonical = "qiao-placement-input-v1\npupils\t8\n" +
		"P01\t张伟\tM\t2019-09-03\t88.50\t\tA1\t0\t\n" +
		"P02\t王芳\tF\t2019-11-20\t92.00\t\t\t0\t\n" +
		"P03\t李娜\tF\t2020-01-15\t76.25\tT1\t\t0\t\n" +
		"P04\t李强\tM\t2020-01-15\t79.75\tT1\t\t0\t\n" +
		"P05\t刘洋\tM\t2020-03-08\t95.00\t\tA1\t0\t\n" +
		"P06\t陈静\tF\t2019-12-01\t81.00\t\t\t1\t\n" +
		"P07\t杨磊\tM\t2020-06-30\t\t\t\t0\t\n" +
		"P08\t赵敏\tF\t2020-08-31\t68.50\t\t\t0\t\n" +
		"teachers\t2\n李老师\n王老师\n"
	if got := string(Canonical(r)); got != canonical {
		t.Fatalf("canonical form:\n%q\nwant\n%q", got, canonical)
	}
	check := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %s, want %s", what, got, want)
		}
	}
	digest := Digest(r)
	check("input digest", digest, "148efb6a02fdf26bbf80d0d064e98ef291418e52c88f3a2c61ffad10d98455c3")
	check("params", p.canonical(), "classes=2;score=1;age=1")
	seed := Seed(digest, p, entropy, secret)
	check("seed", fmt.Sprintf("%x", seed), "e4d9736d62f25d6de0c7077e39a20c8099c494ed4a0023539ea30e9f24650fb5")
	g := newRNG(seed)
	check("state", fmt.Sprintf("%016x", g.s), "[6d5df2626d73d9e4 800ca2397e07c7e0 5323004aed94c499 b50f65249f0ea39e]")
	var outs []string
	for i := 0; i < 6; i++ {
		outs = append(outs, fmt.Sprint(g.next()))
	}
	check("first outputs", strings.Join(outs, " "), "2036204909473378880 867388122084069308 15667448665289767222 5061387119552294964 5248292488061106154 1542699513433420022")
	res, err := Draw(r, p, entropy, secret)
	if err != nil {
		t.Fatal(err)
	}
	check("classes", fmt.Sprint(res.Class), "[2 1 1 1 1 2 2 2]")
	check("teachers", fmt.Sprint(res.Teachers), "[李老师 王老师]")
	check("output digest", res.OutputDigest, "befc05976cd8809b3631af7bae9dd5fd1add76b143f6f0856acfca99590b3407")
}

// specCase is one draw for the Python reference to redo.
type specCase struct {
	name            string
	r               *Roster
	p               Params
	entropy, secret string
}

// pyResult is what tools/placement-ref/placement_ref.py prints for one draw.
type pyResult struct {
	Error    string `json:"error"`
	Message  string `json:"message"`
	Pupil    string `json:"pupil"`
	Problems []struct {
		Code string        `json:"code"`
		Args []json.Number `json:"args"`
	} `json:"problems"`
	Algorithm       string   `json:"algorithm"`
	InputDigest     string   `json:"input_digest"`
	Params          string   `json:"params"`
	Entropy         string   `json:"entropy"`
	Secret          string   `json:"secret"`
	Seed            string   `json:"seed"`
	Classes         []int    `json:"classes"`
	Teachers        []string `json:"teachers"`
	OutputCanonical string   `json:"output_canonical"`
	OutputDigest    string   `json:"output_digest"`
	Report          struct {
		Classes []pyReportRow `json:"classes"`
		Spread  pyReportRow   `json:"spread"`
	} `json:"report"`
	Counters map[string]int `json:"counters"`
}

type pyReportRow struct {
	Class     int      `json:"class"`
	Teacher   string   `json:"teacher"`
	Size      int      `json:"size"`
	Boys      int      `json:"boys"`
	Girls     int      `json:"girls"`
	Special   int      `json:"special"`
	MeanBirth *float64 `json:"mean_birth"`
	SDBirth   *float64 `json:"sd_birth"`
	MeanScore *float64 `json:"mean_score"`
	SDScore   *float64 `json:"sd_score"`
}

// json.Number cannot hold strings; problem arguments are decoded as raw JSON.
func (r *pyResult) UnmarshalJSON(b []byte) error {
	type plain pyResult
	var aux struct {
		plain
		Problems []struct {
			Code string            `json:"code"`
			Args []json.RawMessage `json:"args"`
		} `json:"problems"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*r = pyResult(aux.plain)
	r.Problems = nil
	for _, p := range aux.Problems {
		var args []json.Number
		for _, a := range p.Args {
			var s string
			if json.Unmarshal(a, &s) == nil {
				args = append(args, json.Number(s))
			} else {
				args = append(args, json.Number(a))
			}
		}
		r.Problems = append(r.Problems, struct {
			Code string        `json:"code"`
			Args []json.Number `json:"args"`
		}{p.Code, args})
	}
	return nil
}

// specScores replaces Generate's scores, which are computed in floating
// point that the compiler may fuse differently on other architectures
// (generate.go), by integers derived from the ID, so that every case has
// the same canonical form, seed and paths on every machine.
func specScores(r *Roster) *Roster {
	for i := range r.Pupils {
		h := fnv.New32a()
		h.Write([]byte(r.Pupils[i].ID))
		r.Pupils[i].Score = 4000 + int64(h.Sum32()%6001)
	}
	return r
}

// specCases are the inputs both implementations draw.
func specCases() []specCase {
	var cases []specCase
	add := func(name string, r *Roster, p Params, entropy, secret string) {
		cases = append(cases, specCase{name, r, p, entropy, secret})
	}
	both := func(k int) Params { return Params{Classes: k, BalanceScore: true, BalanceAge: true} }

	r, p, e, s := specExample()
	add("worked example", r, p, e, s)

	add("600 pupils, 15 classes", specScores(Generate(600, 1)), both(15), "2026年8月20日 公证处 3 7 1 9", "")

	// Dense rules: Together triplets, tight Apart groups, fixed pupils
	// (one of them in a Together pair), more special pupils, missing scores.
	r = specScores(Generate(450, 2))
	for i := range r.Pupils {
		r.Pupils[i].Together, r.Pupils[i].Apart = "", ""
		if i%17 == 0 {
			r.Pupils[i].Special = true
		}
		if i%23 == 5 {
			r.Pupils[i].HasScore = false
		}
	}
	for i := 0; i+2 < 120; i += 10 {
		for j := 0; j < 3; j++ {
			r.Pupils[i+j].Together = fmt.Sprintf("同班%d", i)
		}
	}
	for a := 0; a < 6; a++ { // Apart groups of 10 = K
		for j := 0; j < 10; j++ {
			r.Pupils[130+a*40+j*3].Apart = fmt.Sprintf("分开%c", 'A'+a)
		}
	}
	for c := 1; c <= 10; c++ { // one fixed pupil per class, two in class 4
		r.Pupils[400+c].Fixed = c
	}
	r.Pupils[440].Fixed, r.Pupils[441].Fixed = 4, 4
	r.Pupils[440].Together, r.Pupils[441].Together = "fixed-twins", "fixed-twins"
	add("rules: together, apart, fixed, special", r, both(10), "7 7 7", "")

	r = specScores(Generate(120, 3))
	r.Teachers = []string{"Chen Li", "Wang Fang", "刘老师", "张老师", "张老师", "王老师", "赵 老师"}
	sort.Strings(r.Teachers)
	// Entropy with white space Go and Python disagree on (U+001C is not
	// white space in §1.4), NEL, LINE SEPARATOR and a full-width letter;
	// a secret with a ligature NFKC folds.
	add("teachers, full-width entropy, secret", r, both(4), "公证员：１２ ３４　56\u3000\u0085x\u001cy\u2028ｚ", "  s3cr3t ﬁ ")

	r = specScores(Generate(240, 4))
	add("age only", r, Params{Classes: 6, BalanceAge: true}, "a", "")
	add("score only", r, Params{Classes: 6, BalanceScore: true}, "a", "")
	add("no balancing", r, Params{Classes: 6}, "a", "")

	r = specScores(Generate(200, 5))
	for i := range r.Pupils {
		r.Pupils[i].HasScore = false
	}
	add("no scores at all", r, both(7), "b", "")

	add("one class", specScores(Generate(30, 6)), both(1), "c", "")
	add("one pupil per class", specScores(Generate(9, 7)), both(9), "d", "")

	// Absurd scores: sums of squares overflow int64 (spec §5.12.1).
	r = specScores(Generate(100, 8))
	for i := 0; i < 100; i += 9 {
		r.Pupils[i].Score = 99999999999 - int64(i)*1234567
		if i%2 == 0 {
			r.Pupils[i].Score = -r.Pupils[i].Score
		}
	}
	add("absurd scores", r, both(5), "e", "")

	// Refusals.
	r = specScores(Generate(30, 9))
	r.Teachers = []string{"乙", "甲"}
	add("too few teachers", r, both(3), "x", "")
	r = specScores(Generate(30, 9))
	for i := 0; i < 4; i++ {
		r.Pupils[i].Apart = "A"
	}
	for i := 10; i < 22; i++ {
		r.Pupils[i].Together = "T"
	}
	r.Pupils[25].Fixed = 5
	for i := 26; i < 30; i++ {
		r.Pupils[i].Fixed = 2
	}
	add("several problems", r, both(3), "x", "")
	r = specScores(Generate(31, 9))
	for i := 0; i < 22; i++ {
		r.Pupils[i].Fixed = 1 + i%2
	}
	add("fixed load (§5.4)", r, both(3), "x", "")
	add("too few pupils", specScores(Generate(2, 9)), both(3), "x", "")

	// Small random rosters with every kind of rule. Trials 50, 85, 186,
	// 294 reach gender rebalancing (§5.11); 6 and 64 are unplaceable.
	g := newRNG([32]byte{42})
	for trial := 0; trial <= 294; trial++ {
		k := 2 + g.intn(14)
		r := specScores(randomRoster(g, k))
		if g.intn(3) == 0 {
			for j := 0; j < k+g.intn(3); j++ {
				r.Teachers = append(r.Teachers, fmt.Sprintf("教师%02d", j))
			}
		}
		p := Params{Classes: k, BalanceScore: g.intn(4) > 0, BalanceAge: g.intn(4) > 0}
		switch {
		case trial < 30, trial == 50, trial == 64, trial == 85, trial == 186, trial == 294:
			add(fmt.Sprintf("random %d", trial), r, p, fmt.Sprint(trial), "")
		}
	}
	// Tiny tight rosters: 21, 92, 105, 141, 241, 496 reach makeRoom (§5.9),
	// 3 is unplaceable.
	for _, seed := range []uint64{1, 2, 3, 4, 5, 6, 21, 92, 105, 141, 241, 496} {
		r, k := tightRoster(seed)
		add(fmt.Sprintf("tight %d", seed), specScores(r), Params{Classes: k, BalanceScore: true, BalanceAge: true}, "x", "")
	}
	// A roster whose first attempt fails about half the time; with this
	// entropy the 14th attempt (§5.6) is the first to place everyone.
	r, k := tightRoster(817474)
	add("tight 817474, 14 attempts", specScores(r), both(k), "4811", "")
	return cases
}

func TestSpecPythonReferenceAgrees(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is required to check docs/placement-spec.md against tools/placement-ref/placement_ref.py, and was not found on PATH: %v", err)
	}
	script, err := filepath.Abs(filepath.Join("..", "tools", "placement-ref", "placement_ref.py"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("reference implementation missing: %v", err)
	}
	dir := t.TempDir()
	cases := specCases()
	type job struct {
		Input   string `json:"input"`
		Classes int    `json:"classes"`
		Score   bool   `json:"score"`
		Age     bool   `json:"age"`
		Entropy string `json:"entropy"`
		Secret  string `json:"secret"`
	}
	var jobs []job
	for i, c := range cases {
		path := filepath.Join(dir, fmt.Sprintf("input%02d.txt", i))
		if err := os.WriteFile(path, Canonical(c.r), 0o644); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, job{path, c.p.Classes, c.p.BalanceScore, c.p.BalanceAge, c.entropy, c.secret})
	}
	jobsFile := filepath.Join(dir, "jobs.json")
	b, _ := json.Marshal(jobs)
	if err := os.WriteFile(jobsFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, script, "--batch", jobsFile)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", python, script, err, stderr.String())
	}
	t.Logf("python reference: %d draws in %v", len(cases), time.Since(start).Round(time.Millisecond))
	var results []pyResult
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("python output: %v\n%.2000s", err, out)
	}
	if len(results) != len(cases) {
		t.Fatalf("%d results for %d cases", len(results), len(cases))
	}

	seen := map[string]int{}
	for i, c := range cases {
		py := results[i]
		res, err := Draw(c.r, c.p, c.entropy, c.secret)
		outcome := compareWithPython(t, c, res, err, py)
		seen[outcome]++
		for k, v := range py.Counters {
			if v > 0 {
				seen[k]++
			}
		}
		if testing.Verbose() {
			t.Logf("%-40s %-11s %v", c.name, outcome, py.Counters)
		}
		if py.Counters["attempts"] > 1 {
			seen["retried"]++
		}
	}
	t.Logf("outcomes and paths exercised: %v", seen)
	// The cases must exercise every path of the spec, or agreement proves little.
	for _, k := range []string{"drawn", "refused", "unplaceable", "retried", "make_room_found", "gender_swaps", "swaps_accepted"} {
		if seen[k] == 0 {
			t.Errorf("no case exercises %q; add one", k)
		}
	}
}

// compareWithPython fails the test where Draw and the Python reference
// disagree, and returns the outcome: drawn, refused or unplaceable.
func compareWithPython(t *testing.T, c specCase, res *Result, err error, py pyResult) string {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s (n=%d, %s): %s", c.name, len(c.r.Pupils), c.p.canonical(), fmt.Sprintf(format, args...))
	}
	if py.Error == "invalid" {
		fail("python refused the canonical form: %s", py.Message)
		return "invalid"
	}
	var ie *InputError
	unplaceable := errors.As(err, &ie) && len(ie.Problems) == 1 && ie.Problems[0].Code == ProblemUnplaceable
	switch {
	case unplaceable:
		if py.Error != "unplaceable" {
			fail("Go found %s unplaceable, python: %q", ie.Problems[0].Args[0], py.Error)
		} else if py.Pupil != "" && py.Pupil != ie.Problems[0].Args[0] {
			fail("unplaceable pupil: Go %s, python %s", ie.Problems[0].Args[0], py.Pupil)
		}
		return "unplaceable"
	case errors.As(err, &ie):
		if py.Error != "refused" {
			fail("Go refused with %v, python: %q", ie.Problems, py.Error)
			return "refused"
		}
		var goP, pyP []string
		for _, p := range ie.Problems {
			goP = append(goP, p.Code+fmt.Sprint(p.Args))
		}
		for _, p := range py.Problems {
			args := make([]any, len(p.Args))
			for i, a := range p.Args {
				args[i] = string(a)
			}
			pyP = append(pyP, p.Code+fmt.Sprint(args))
		}
		sort.Strings(goP)
		sort.Strings(pyP)
		if fmt.Sprint(goP) != fmt.Sprint(pyP) {
			fail("problems differ:\n go %v\n py %v", goP, pyP)
		}
		return "refused"
	case err != nil:
		if py.Error != "unplaceable" {
			fail("Go failed with %v, python: %q", err, py.Error)
		}
		return "unplaceable"
	}
	if py.Error != "" {
		fail("Go drew, python: %s %s %v", py.Error, py.Pupil, py.Problems)
		return "drawn"
	}
	if py.Algorithm != res.Algorithm || py.InputDigest != res.InputDigest || py.Params != res.Params.canonical() ||
		py.Entropy != res.Entropy || py.Secret != res.Secret || py.Seed != res.Seed {
		fail("header differs: go %s %s %s %q %q %s, python %s %s %s %q %q %s",
			res.Algorithm, res.InputDigest, res.Params.canonical(), res.Entropy, res.Secret, res.Seed,
			py.Algorithm, py.InputDigest, py.Params, py.Entropy, py.Secret, py.Seed)
	}
	if len(py.Classes) != len(res.Class) {
		fail("%d classes from python for %d pupils", len(py.Classes), len(res.Class))
		return "drawn"
	}
	differ := 0
	for i := range res.Class {
		if res.Class[i] != py.Classes[i] {
			if differ++; differ <= 5 {
				fail("pupil %s: Go class %d, python %d", c.r.Pupils[i].ID, res.Class[i], py.Classes[i])
			}
		}
	}
	if differ > 5 {
		fail("%d pupils in different classes", differ)
	}
	if fmt.Sprint(py.Teachers) != fmt.Sprint(res.Teachers) {
		fail("teachers: Go %v, python %v", res.Teachers, py.Teachers)
	}
	if py.OutputDigest != res.OutputDigest {
		fail("output digest: Go %s, python %s", res.OutputDigest, py.OutputDigest)
	}
	// The balance report (§7), exactly.
	rep := Balance(c.r, res)
	rows := append(append([]ClassReport(nil), rep.Classes...), rep.Spread)
	pyRows := append(append([]pyReportRow(nil), py.Report.Classes...), py.Report.Spread)
	if len(rows) != len(pyRows) {
		fail("report: %d rows, python %d", len(rows), len(pyRows))
		return "drawn"
	}
	fl := func(p *float64) float64 {
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
	for j, g := range rows {
		q := pyRows[j]
		if j < len(rep.Classes) && (g.Class != q.Class || g.Teacher != q.Teacher) ||
			g.Size != q.Size || g.Boys != q.Boys || g.Girls != q.Girls || g.Special != q.Special ||
			!same(g.MeanBirth, fl(q.MeanBirth)) || !same(g.SDBirth, fl(q.SDBirth)) ||
			!same(g.MeanScore, fl(q.MeanScore)) || !same(g.SDScore, fl(q.SDScore)) {
			fail("report row %d: Go %+v, python %+v %v %v %v %v", j, g, q, fl(q.MeanBirth), fl(q.SDBirth), fl(q.MeanScore), fl(q.SDScore))
		}
	}
	return "drawn"
}

// tightRoster makes a tiny roster with tight Apart and Together rules.
func tightRoster(seed uint64) (*Roster, int) {
	g := newRNG(Seed(fmt.Sprint(seed), Params{}, "", ""))
	k := 2 + g.intn(5)
	n := k + g.intn(3*k)
	r := Generate(n, g.next())
	for i := range r.Pupils {
		r.Pupils[i].Together, r.Pupils[i].Apart = "", ""
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	g.shuffle(idx)
	pos := 0
	for a := 0; a < 1+g.intn(4) && pos+k <= n; a++ {
		sz := k - g.intn(2)
		for j := 0; j < sz; j++ {
			r.Pupils[idx[pos]].Apart = fmt.Sprintf("A%d", a)
			pos++
		}
	}
	for t := 0; t < g.intn(4) && pos+3 <= n; t++ {
		sz := 2 + g.intn(2)
		for j := 0; j < sz; j++ {
			r.Pupils[idx[pos]].Together = fmt.Sprintf("T%d", t)
			pos++
		}
	}
	for j := 0; j < g.intn(3) && pos < n; j++ {
		r.Pupils[idx[pos]].Fixed = 1 + g.intn(k)
		pos++
	}
	return r, k
}
