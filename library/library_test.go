package library

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"qiao/content"
	"qiao/store"
)

const school = "0190a000-0000-7000-8000-000000000001"

func open(t testing.TB) (*Service, *store.Store) { return openAs(t, school) }

func openAs(t testing.TB, schoolID string) (*Service, *store.Store) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	files, err := content.Open(dir + "/files")
	if err != nil {
		t.Fatal(err)
	}
	return New(st, files, schoolID), st
}

func hashOf(c byte) string { return strings.Repeat(string(c), 64) }

func mustPut(t testing.TB, s *Service, e Entry) Entry {
	t.Helper()
	if e.Kind == "" {
		e.Kind = Courseware
	}
	if e.Source == "" {
		e.Source = FromDistrict
	}
	if e.Hash == "" {
		e.Hash = hashOf('a')
	}
	e, err := s.Put(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// all lists every entry the library sees.
func all(t testing.TB, s *Service) []Entry {
	t.Helper()
	var out []Entry
	for off := 0; ; off += MaxLimit {
		p, err := s.List(context.Background(), Filter{}, off, MaxLimit)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Entries...)
		if !p.More {
			return out
		}
	}
}

func searchAll(t testing.TB, s *Service, q string, f Filter) Page {
	t.Helper()
	p, err := s.Search(context.Background(), q, f, 0, MaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidationRefusesWithCodesAndWritesNothing(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	good := Entry{Title: "分数的初步认识 课件", Kind: Courseware, Source: FromSchool, Hash: hashOf('b'), Grade: 3, Stage: "小学"}
	cases := []struct {
		edit func(*Entry)
		code Code
	}{
		{func(e *Entry) { e.Title = "  " }, ErrTitle},
		{func(e *Entry) { e.Title = strings.Repeat("长", MaxTitle+1) }, ErrTitle},
		{func(e *Entry) { e.Kind = "slides" }, ErrKind},
		{func(e *Entry) { e.Source = "someone" }, ErrSource},
		{func(e *Entry) { e.Grade = 13 }, ErrGrade},
		{func(e *Entry) { e.Grade = -1 }, ErrGrade},
		{func(e *Entry) { e.Stage = "大学" }, ErrStage},
		{func(e *Entry) { e.Hash = "ABC" }, ErrHash},
		{func(e *Entry) { e.Hash = strings.Repeat("A", 64) }, ErrHash},
		{func(e *Entry) { e.Size = -1 }, ErrSize},
		{func(e *Entry) { e.Tags = []string{"好", " "} }, ErrTags},
		{func(e *Entry) { e.Unit = strings.Repeat("单", MaxField+1) }, ErrText},
	}
	for _, c := range cases {
		e := good
		c.edit(&e)
		if _, err := s.Put(ctx, e); CodeOf(err) != c.code {
			t.Errorf("%+v: got %v, want code %s", e, err, c.code)
		}
	}
	if n := len(all(t, s)); n != 0 {
		t.Fatalf("refused entries left %d rows", n)
	}
	if _, err := s.Add(ctx, Entry{Title: "x", Kind: Courseware, Source: FromDistrict}, strings.NewReader("x")); CodeOf(err) != ErrSource {
		t.Fatalf("Add of a district entry: %v", err)
	}
	if _, err := s.Get(ctx, "0190a000-0000-7000-8000-00000000dead"); CodeOf(err) != ErrNotFound {
		t.Fatalf("Get of nothing: %v", err)
	}
}

func TestAddStoresTheFileOnceAndOfflineFindsIt(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	a, err := s.Add(ctx, Entry{Title: "《秋天的雨》 课件", Kind: Courseware, Source: FromTeacher, Stage: "小学", Subject: "语文", Grade: 3, FileName: "秋天的雨.pptx"}, strings.NewReader("slides"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Add(ctx, Entry{Title: "秋天的雨 同一文件", Kind: Material, Source: FromSchool}, strings.NewReader("slides"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash != b.Hash || a.Size != 6 || a.SchoolID != school {
		t.Fatalf("added %+v and %+v", a, b)
	}
	if files, _, _ := s.files.Usage(); files != 1 {
		t.Fatalf("%d files stored for one content", files)
	}
	mustPut(t, s, Entry{Title: "秋天的雨 朗读视频", Kind: Video, Hash: hashOf('c')}) // not downloaded
	p := searchAll(t, s, "秋天的雨", Filter{Offline: true})
	if len(p.Entries) != 2 || p.More {
		t.Fatalf("offline search: %+v", p)
	}
	if p := searchAll(t, s, "秋天的雨", Filter{}); len(p.Entries) != 3 || p.Total != 3 {
		t.Fatalf("search: %+v", p)
	}
	got, err := s.Get(ctx, a.ID)
	if err != nil || got.Title != a.Title || got.FileName != "秋天的雨.pptx" || got.Grade != 3 {
		t.Fatalf("get: %+v %v", got, err)
	}
}

// contains reports whether e holds term whole (normalised) in a searched field.
func contains(e Entry, term string) bool {
	text := normalise(strings.Join([]string{e.Title, e.Unit, strings.Join(e.Tags, " "), e.Subject, e.Edition, e.Stage,
		gradeWords(e.Stage, e.Grade), kindWords[e.Kind], e.UploadedBy}, "\n"))
	return strings.Contains(text, term)
}

func TestSearchFindsWordsAndPhrasesInRealisticTitles(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	if err := s.Generate(ctx, Scale{Entries: 3000, School: 0.2, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, Entry{Title: "人教版 三年级上册 第八单元《分数的初步认识》 课件", Stage: "小学", Subject: "数学", Grade: 3})
	mustPut(t, s, Entry{Title: "量一量，比一比", Kind: Material, Tags: []string{"综合实践"}})
	entries := all(t, s)
	if len(entries) != 3002 {
		t.Fatalf("%d entries", len(entries))
	}
	for _, q := range []string{"数学", "分数", "分数的初步认识", "秋天的雨", "一师一优课", "单元测试卷", "课件", "三年级", "初一", "综合实践", "pep", "Reading", "数"} {
		p := searchAll(t, s, q, Filter{})
		term := parseQuery(q)[0]
		want := 0
		for _, e := range entries {
			if contains(e, term) {
				want++
			}
		}
		if want == 0 {
			t.Fatalf("%q: the catalogue holds no such entry; the test is wrong", q)
		}
		if p.Total < want {
			t.Errorf("%q: found %d, but %d entries hold it", q, p.Total, want)
		}
		// Results hold the term whole first, then (for long terms) scattered.
		whole := true
		for _, e := range p.Entries {
			c := contains(e, term)
			if c && !whole {
				t.Errorf("%q: a whole match %q ranked after a scattered one", q, e.Title)
			}
			whole = whole && c
		}
	}
	for _, q := range []string{"量子力学", "微积分", "xyz", "分数的初步认识 物理"} {
		if p := searchAll(t, s, q, Filter{}); p.Total != 0 {
			t.Errorf("%q found %d entries, e.g. %q", q, p.Total, p.Entries[0].Title)
		}
	}
	// Title hits before others, newest first among equals.
	p := searchAll(t, s, "分数", Filter{})
	seenOther := false
	for i, e := range p.Entries {
		in := strings.Contains(normalise(e.Title), "分数")
		if in && seenOther {
			t.Fatalf("title hit %q after a non-title hit", e.Title)
		}
		seenOther = seenOther || !in
		if i > 0 && in == strings.Contains(normalise(p.Entries[i-1].Title), "分数") && e.CreatedAt.After(p.Entries[i-1].CreatedAt) {
			t.Fatalf("%q (%v) ranked after an older %q", e.Title, e.CreatedAt, p.Entries[i-1].Title)
		}
	}
	// Two terms: both must hold; filters apply.
	p = searchAll(t, s, "三年级 分数", Filter{Kind: Courseware, Grade: 3})
	if p.Total == 0 {
		t.Fatal("三年级 分数: nothing")
	}
	for _, e := range p.Entries {
		if e.Kind != Courseware || e.Grade != 3 || !contains(e, "分数") {
			t.Fatalf("三年级 分数 (courseware, grade 3) found %+v", e)
		}
	}
	// Full-width and punctuation are folded: 《分数》 and ＰＥＰ.
	if a, b := searchAll(t, s, "《分数》", Filter{}).Total, searchAll(t, s, "分数", Filter{}).Total; a != b {
		t.Fatalf("《分数》 found %d, 分数 %d", a, b)
	}
	if a, b := searchAll(t, s, "ＰＥＰ", Filter{}).Total, searchAll(t, s, "pep", Filter{}).Total; a != b || a == 0 {
		t.Fatalf("ＰＥＰ found %d, pep %d", a, b)
	}
	// Scattered: the characters of the phrase apart still find it, after whole ones.
	e := mustPut(t, s, Entry{Title: "认识分数 初步练习", Subject: "数学"})
	found := false
	for _, x := range searchAll(t, s, "分数初步", Filter{}).Entries {
		found = found || x.ID == e.ID
	}
	if !found {
		t.Fatal("a scattered match was not found")
	}
	// Paging: pages join up to the whole result.
	full := searchAll(t, s, "数学", Filter{})
	var paged []Entry
	for off := 0; off < len(full.Entries); off += 37 {
		pg, err := s.Search(ctx, "数学", Filter{}, off, 37)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, pg.Entries...)
	}
	for i := range full.Entries {
		if paged[i].ID != full.Entries[i].ID {
			t.Fatalf("page order differs at %d", i)
		}
	}
}

func TestTreeCountsAndDeletedEntriesVanish(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	if err := s.Generate(ctx, Scale{Entries: 2000, School: 0.3, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	entries := all(t, s)
	// Walk the whole tree: every node's count is the entries under its path.
	var walk func(path []string, want int)
	walk = func(path []string, want int) {
		nodes, err := s.Tree(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		sum := 0
		for _, n := range nodes {
			sub := append(append([]string{}, path...), n.Value)
			brute := 0
			for _, e := range entries {
				if under(e, sub) {
					brute++
				}
			}
			if n.Count != brute {
				t.Fatalf("%v: count %d, %d entries", sub, n.Count, brute)
			}
			if p, _ := s.List(ctx, Filter{Path: sub}, 0, 1); p.Total != brute {
				t.Fatalf("%v: list total %d, %d entries", sub, p.Total, brute)
			}
			sum += n.Count
			if !n.Leaf && len(sub) < 3 { // deeper levels are checked through List totals
				walk(sub, n.Count)
			}
		}
		if sum != want {
			t.Fatalf("%v: children hold %d, the node %d", path, sum, want)
		}
	}
	walk(nil, len(entries))
	stages, _ := s.Tree(ctx, nil)
	if len(stages) != 3 || stages[0].Value != "小学" || stages[2].Value != "高中" {
		t.Fatalf("stages %+v", stages)
	}
	grades, _ := s.Tree(ctx, []string{"小学", "数学", "人教版"})
	for i := 1; i < len(grades); i++ {
		if grades[i].Grade <= grades[i-1].Grade {
			t.Fatalf("grades out of order: %+v", grades)
		}
	}
	units, _ := s.Tree(ctx, []string{"小学", "数学", "人教版", "3"})
	for i := 1; i < len(units); i++ {
		if unitNumber(units[i].Value) < unitNumber(units[i-1].Value) {
			t.Fatalf("units out of order: %v then %v", units[i-1].Value, units[i].Value)
		}
	}
	if nodes, _ := s.Tree(ctx, []string{"大学"}); len(nodes) != 0 {
		t.Fatalf("a path of nothing has children %+v", nodes)
	}

	// Delete every 分数 entry: gone from search and tree.
	p := searchAll(t, s, "分数的初步认识", Filter{})
	if p.Total == 0 {
		t.Fatal("nothing to delete")
	}
	target := p.Entries[0]
	before, _ := s.Tree(ctx, []string{target.Stage, target.Subject, target.Edition, strconv.Itoa(target.Grade)})
	for _, e := range p.Entries {
		if err := s.Delete(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
	}
	if q := searchAll(t, s, "分数的初步认识", Filter{}); q.Total != 0 {
		t.Fatalf("deleted entries still found: %d", q.Total)
	}
	after, _ := s.Tree(ctx, []string{target.Stage, target.Subject, target.Edition, strconv.Itoa(target.Grade)})
	if total(after) >= total(before) {
		t.Fatalf("tree count %d before delete, %d after", total(before), total(after))
	}
	if _, err := s.Get(ctx, target.ID); CodeOf(err) != ErrNotFound {
		t.Fatalf("deleted entry: %v", err)
	}
}

func total(ns []Node) int {
	n := 0
	for _, x := range ns {
		n += x.Count
	}
	return n
}

func under(e Entry, path []string) bool {
	vals := []string{e.Stage, e.Subject, e.Edition, strconv.Itoa(e.Grade), e.Unit}
	for i, v := range path {
		if vals[i] != v {
			return false
		}
	}
	return true
}

func TestFavouritesRecentAndEvents(t *testing.T) {
	s, st := open(t)
	ctx := context.Background()
	clock := time.Unix(1_780_000_000, 0)
	s.now = func() time.Time { clock = clock.Add(time.Second); return clock }
	a := mustPut(t, s, Entry{Title: "甲 课件"})
	b := mustPut(t, s, Entry{Title: "乙 教案", Kind: Plan})
	c := mustPut(t, s, Entry{Title: "丙 试卷", Kind: Paper})
	for _, id := range []string{a.ID, b.ID, c.ID, a.ID} {
		if err := s.Opened(ctx, id, "王老师"); err != nil {
			t.Fatal(err)
		}
	}
	rec, err := s.Recent(ctx, 10)
	if err != nil || len(rec) != 3 || rec[0].ID != a.ID || rec[1].ID != c.ID || rec[2].ID != b.ID {
		t.Fatalf("recent %v %v", titles(rec), err)
	}
	if err := s.SetFavourite(ctx, b.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFavourite(ctx, c.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFavourite(ctx, c.ID, false); err != nil {
		t.Fatal(err)
	}
	fav, _ := s.Favourites(ctx)
	if len(fav) != 1 || fav[0].ID != b.ID {
		t.Fatalf("favourites %v", titles(fav))
	}
	if err := s.Downloaded(ctx, c.ID, "李老师"); err != nil {
		t.Fatal(err)
	}
	if err := s.Contributed(ctx, b.ID, "王老师"); err != nil {
		t.Fatal(err)
	}
	ev, _ := s.Events(ctx, 0)
	if len(ev) != 6 || ev[4].Action != ActionDownloaded || ev[4].Teacher != "李老师" || ev[5].Action != ActionContributed {
		t.Fatalf("events %+v", ev)
	}
	var used int64
	st.DB.QueryRow(`SELECT used_at FROM library_local WHERE entry_id=?`, c.ID).Scan(&used)
	if used != ev[4].At {
		t.Fatalf("used_at %d, downloaded at %d", used, ev[4].At)
	}
	// A deleted entry leaves recent and favourites; events on it are refused.
	if err := s.Delete(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	fav, _ = s.Favourites(ctx)
	rec, _ = s.Recent(ctx, 10)
	if len(fav) != 0 || len(rec) != 2 {
		t.Fatalf("after delete: favourites %v recent %v", titles(fav), titles(rec))
	}
	if err := s.Opened(ctx, b.ID, "王老师"); CodeOf(err) != ErrNotFound {
		t.Fatalf("opened a deleted entry: %v", err)
	}
}

func titles(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Title)
	}
	return out
}

// Rows that arrive by sync (ApplyRemote), not through this package, are
// searchable and browsable at once, and a synced tombstone removes them.
func TestRowsArrivingBySyncAreSearchable(t *testing.T) {
	s, st := open(t)
	other, ost := openAs(t, "0190a000-0000-7000-8000-000000000002")
	ctx := context.Background()
	mustPut(t, s, Entry{Title: "本校 课件"})
	if p := searchAll(t, s, "课件", Filter{}); p.Total != 1 { // the index is built now
		t.Fatalf("%+v", p)
	}
	e := mustPut(t, other, Entry{Title: "一师一优课：部编版 三年级上册《秋天的雨》", Kind: Video, Stage: "小学", Subject: "语文", Edition: "部编版", Grade: 3, Unit: "第二单元 金秋时节"})
	mustPut(t, other, Entry{Title: "他校 秋天的雨 课件", Source: FromSchool}) // another school's row: not shown
	changes, err := ost.ChangesAfter(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	apply := func() {
		t.Helper()
		err := st.Update(ctx, func(tx *store.Tx) error {
			for _, c := range changes {
				if _, err := tx.ApplyRemote(c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	apply()
	p := searchAll(t, s, "秋天的雨", Filter{})
	if p.Total != 1 || p.Entries[0].ID != e.ID {
		t.Fatalf("synced entry not found: %+v", p)
	}
	if p := searchAll(t, s, "金秋", Filter{Path: []string{"小学", "语文"}}); p.Total != 1 {
		t.Fatalf("by unit name: %+v", p)
	}
	nodes, _ := s.Tree(ctx, []string{"小学", "语文", "部编版"})
	if len(nodes) != 1 || nodes[0].Grade != 3 || nodes[0].Count != 1 {
		t.Fatalf("tree %+v", nodes)
	}
	// The district deletes it.
	if err := other.Delete(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	changes, _ = ost.ChangesAfter(ctx, changes[len(changes)-1].Seq, 100)
	apply()
	if p := searchAll(t, s, "秋天的雨", Filter{}); p.Total != 0 {
		t.Fatalf("synced tombstone: still found %+v", p)
	}
	if nodes, _ := s.Tree(ctx, nil); total(nodes) != 1 {
		t.Fatalf("tree after tombstone %+v", nodes)
	}
}

func TestIndexCompactsAfterManyChanges(t *testing.T) {
	s, _ := open(t)
	e := mustPut(t, s, Entry{Title: "版本 0"})
	searchAll(t, s, "版本", Filter{})
	for i := 1; i <= 1500; i++ {
		e.Title = "版本 " + strconv.Itoa(i%10)
		e = mustPut(t, s, e)
		if i%100 == 0 {
			searchAll(t, s, "版本", Filter{})
		}
	}
	p := searchAll(t, s, "版本", Filter{})
	if p.Total != 1 || p.Entries[0].Title != e.Title {
		t.Fatalf("%+v", p)
	}
	s.mu.Lock()
	docs := len(s.idx.docs)
	s.mu.Unlock()
	if docs > 1100 {
		t.Fatalf("index holds %d slots for one entry", docs)
	}
}

func TestUnitNumber(t *testing.T) {
	for v, n := range map[string]int{"第一单元": 1, "第八单元 分数": 8, "第十单元": 10, "第十二章": 12, "第二十三课": 23, "第3单元": 3, "综合复习": 10000, "第": 10000} {
		if got := unitNumber(v); got != n {
			t.Errorf("%s: %d, want %d", v, got, n)
		}
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"数学", "分数的初步认识", "三年级 分数", "《秋天的雨》", "ＰＥＰ Unit 1", "", "\xff\xfe", strings.Repeat("字", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		terms := parseQuery(q)
		if len(terms) > MaxTerms {
			t.Fatalf("%d terms", len(terms))
		}
		for i, term := range terms {
			if term == "" || strings.ContainsAny(term, " \n") || len([]rune(term)) > MaxTermLen {
				t.Fatalf("bad term %q", term)
			}
			if normalise(term) != term {
				t.Fatalf("term %q is not normalised", term)
			}
			for _, u := range terms[:i] {
				if u == term {
					t.Fatalf("repeated term %q", term)
				}
			}
		}
	})
}

// Searches, tree reads and writes from several goroutines at once (run
// with -race).
func TestConcurrentReadsAndWrites(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	if err := s.Generate(ctx, Scale{Entries: 300, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 3)
	go func() {
		for i := 0; i < 50; i++ {
			if _, err := s.Put(ctx, Entry{Title: "并发 课件 " + strconv.Itoa(i), Kind: Courseware, Source: FromSchool, Hash: hashOf('d')}); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for g := 0; g < 2; g++ {
		go func() {
			for i := 0; i < 50; i++ {
				if _, err := s.Search(ctx, "并发", Filter{}, 0, 20); err != nil {
					done <- err
					return
				}
				if _, err := s.Tree(ctx, []string{"小学"}); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for i := 0; i < 3; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if p := searchAll(t, s, "并发", Filter{}); p.Total != 50 {
		t.Fatalf("found %d of 50", p.Total)
	}
}
