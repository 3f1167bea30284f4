package library

import (
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Filter narrows a list or a search. The zero Filter matches everything.
type Filter struct {
	// Path is a prefix of the textbook tree: stage, subject, edition,
	// grade (decimal, "0" for entries not for one grade), unit.
	Path    []string
	Kind    Kind   // "" for any
	Grade   int    // 1..12; 0 for any
	Source  Source // "" for any
	Offline bool   // only entries whose file is in the content store
}

// Page is one page of a list or a search.
type Page struct {
	Entries []Entry
	// Total counts every match; -1 with Filter.Offline, where files are
	// checked only as far as the page needs.
	Total int
	More  bool // there are (with Offline: may be) matches after this page
}

// Limits of a query.
const (
	MaxTerms   = 8  // terms of a query beyond these are ignored
	MaxTermLen = 32 // characters of a term beyond these are ignored
	MaxLimit   = 500
)

// List returns entries matching f, newest first.
func (s *Service) List(ctx context.Context, f Filter, offset, limit int) (Page, error) {
	return s.Search(ctx, "", f, offset, limit)
}

// Search returns the entries matching query and f, best first. A query is
// split into terms at spaces and punctuation; an entry matches when it
// holds every term. A term of Chinese characters matches where it appears
// whole in the entry's text (title, unit, tags, subject, edition, stage,
// grade and kind words, uploader) and, when it has three or more
// characters, also where it appears in pieces of two or more characters
// apart ("scattered": 数学三年级 finds 三年级数学). Ranking: a term in the title before one elsewhere, whole
// before scattered, then newer first. An empty query lists f's entries,
// newest first.
func (s *Service) Search(ctx context.Context, query string, f Filter, offset, limit int) (Page, error) {
	if offset < 0 {
		offset = 0
	}
	if limit <= 0 || limit > MaxLimit {
		limit = MaxLimit
	}
	terms := parseQuery(query)
	s.mu.Lock()
	ix, err := s.ready(ctx)
	if err != nil {
		s.mu.Unlock()
		return Page{}, err
	}
	ms := ix.match(terms, ix.compile(f))
	total := len(ms)
	top := ix.top(ms, offset+limit)
	more := total > offset+limit
	if f.Offline {
		top, more = s.presentOnly(ix, ms, top, offset+limit)
		total = -1
	}
	ids := make([]string, 0, limit)
	for i := offset; i < len(top); i++ {
		ids = append(ids, ix.docs[top[i].slot].id)
	}
	s.mu.Unlock()
	es, err := s.entries(ctx, ids)
	return Page{Entries: es, Total: total, More: more}, err
}

// presentOnly keeps the first k ranked matches whose file is here, and
// says whether matches remain unchecked after them. top is the best k.
func (s *Service) presentOnly(ix *index, ms, top []match, k int) ([]match, bool) {
	if s.files == nil {
		return nil, false
	}
	var out []match
	keep := func(list []match) (int, bool) {
		for i, m := range list {
			if s.files.Has(ix.docs[m.slot].hash) {
				if out = append(out, m); len(out) == k {
					return i, true
				}
			}
		}
		return len(list), false
	}
	if i, full := keep(top); full {
		return out, i+1 < len(ms)
	}
	if len(top) == len(ms) {
		return out, false // every match was checked
	}
	// The best k were not enough: rank them all and go on after top.
	rest := ix.top(ms, len(ms))[len(top):]
	i, full := keep(rest)
	return out, full && len(top)+i+1 < len(ms)
}

// parseQuery splits a query into normalised terms, at most MaxTerms of at
// most MaxTermLen characters each, without repeats.
func parseQuery(q string) []string {
	var terms []string
	for _, t := range strings.Fields(normalise(q)) {
		if utf8.RuneCountInString(t) > MaxTermLen {
			t = string([]rune(t)[:MaxTermLen])
		}
		if !slices.Contains(terms, t) {
			terms = append(terms, t)
		}
		if len(terms) == MaxTerms {
			break
		}
	}
	return terms
}

// normalise folds full-width forms to half-width and letters to lower
// case, and turns everything but letters and digits into spaces.
func normalise(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(normRune(r))
	}
	return b.String()
}

func normRune(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
		r -= 0xFEE0
	}
	if !unicode.IsLetter(r) && !unicode.IsNumber(r) {
		return ' '
	}
	return unicode.ToLower(r)
}

// gram is a pair of adjacent characters as an index key.
type gram uint64

func pair(a, b rune) gram { return gram(uint64(uint32(a))<<33 | uint64(uint32(b))<<1) }

// outside marks a gram found outside the title while grams are collected;
// in the lowest bit, it sorts a title gram before the same gram outside.
const outside gram = 1

// doc is an entry as the index keeps it.
type doc struct {
	id       string
	text     string // normalised searchable text, title first
	titleEnd int32  // text[:titleEnd] is the title
	path     [levels]uint32
	kind     Kind
	source   Source
	created  int64
	hash     string
	dead     bool
}

// index is every live entry this library sees, with a posting list of
// slots for every character pair. Slots only grow: a changed entry gets a
// new slot and its old one is marked dead (posting lists keep dead slots,
// which candidates skip), so posting lists stay sorted; compact drops the
// dead ones when they are many.
type index struct {
	seq   int64 // library_touched applied through
	docs  []doc
	slot  map[string]int32
	grams map[gram][]uint32 // slot | inTitleBit
	names map[string]uint32 // tree level values, interned
	dead  int
}

func newIndex() *index {
	return &index{slot: map[string]int32{}, grams: map[gram][]uint32{}, names: map[string]uint32{"": 0}}
}

func (ix *index) name(v string) uint32 {
	id, ok := ix.names[v]
	if !ok {
		id = uint32(len(ix.names))
		ix.names[v] = id
	}
	return id
}

// row is what the index reads of an entry.
type row struct {
	id, schoolID, title, stage, subject, edition, unit, kind, source, hash, tags, uploadedBy string
	grade                                                                                    int
	created                                                                                  int64
	deleted                                                                                  bool
}

const rowCols = `id, school_id, title, stage, subject, edition, unit, kind, source, hash, tags, uploaded_by, grade, created_at, deleted`

func scanRow(rows interface{ Scan(...any) error }) (row, error) {
	var r row
	err := rows.Scan(&r.id, &r.schoolID, &r.title, &r.stage, &r.subject, &r.edition, &r.unit, &r.kind, &r.source,
		&r.hash, &r.tags, &r.uploadedBy, &r.grade, &r.created, &r.deleted)
	return r, err
}

// add indexes a live entry in a new slot, replacing any older version.
func (ix *index) add(r row, scratch []gram) []gram {
	ix.remove(r.id)
	var tags []string
	_ = json.Unmarshal([]byte(r.tags), &tags)
	title := normalise(r.title)
	rest := []string{title, normalise(r.unit), normalise(strings.Join(tags, " ")), normalise(r.subject),
		normalise(r.edition), r.stage, gradeWords(r.stage, r.grade), kindWords[Kind(r.kind)], normalise(r.uploadedBy)}
	d := doc{id: r.id, text: strings.Join(rest, "\n"), titleEnd: int32(len(title)), kind: Kind(r.kind),
		source: Source(r.source), created: r.created, hash: r.hash}
	d.path = [levels]uint32{ix.name(r.stage), ix.name(r.subject), ix.name(r.edition), ix.name(strconv.Itoa(r.grade)), ix.name(r.unit)}
	slot := int32(len(ix.docs))
	ix.docs = append(ix.docs, d)
	ix.slot[r.id] = slot
	return ix.post(slot, scratch)
}

// titleBit marks a posting whose gram is in the entry's title.
const titleBit = 1 << 31

// post adds a slot's grams to the posting lists.
func (ix *index) post(slot int32, scratch []gram) []gram {
	d := &ix.docs[slot]
	scratch = appendGrams(scratch[:0], d.text[:d.titleEnd], true)
	scratch = appendGrams(scratch, d.text[d.titleEnd:], false)
	slices.Sort(scratch) // by gram, then in the title first
	for i, g := range scratch {
		if i > 0 && g&^outside == scratch[i-1]&^outside {
			continue
		}
		p := uint32(slot)
		if g&outside == 0 {
			p |= titleBit
		}
		ix.grams[g&^outside] = append(ix.grams[g&^outside], p)
	}
	return scratch
}

// appendGrams appends the characters and character pairs of text (pairs
// never span a space or a field break), marked outside unless title.
func appendGrams(gs []gram, text string, title bool) []gram {
	flag := outside
	if title {
		flag = 0
	}
	prev := rune(' ')
	for _, r := range text {
		if r != ' ' && r != '\n' {
			gs = append(gs, pair(r, 0)|flag)
			if prev != ' ' && prev != '\n' {
				gs = append(gs, pair(prev, r)|flag)
			}
		}
		prev = r
	}
	return gs
}

// remove marks an entry's slot dead, if it has one.
func (ix *index) remove(id string) {
	if slot, ok := ix.slot[id]; ok {
		ix.docs[slot].dead = true
		ix.docs[slot].text = ""
		delete(ix.slot, id)
		ix.dead++
	}
}

// compact rebuilds the index without dead slots.
func (ix *index) compact() {
	fresh := newIndex()
	fresh.seq, fresh.names = ix.seq, ix.names
	fresh.docs = make([]doc, 0, len(ix.slot))
	var scratch []gram
	for _, d := range ix.docs {
		if d.dead {
			continue
		}
		slot := int32(len(fresh.docs))
		fresh.docs = append(fresh.docs, d)
		fresh.slot[d.id] = slot
		scratch = fresh.post(slot, scratch)
	}
	*ix = *fresh
}

// ready returns the index brought up to date with library_entries: built
// on first use, then caught up from library_touched. s.mu must be held.
func (s *Service) ready(ctx context.Context) (*index, error) {
	if s.idx == nil {
		ix, err := s.build(ctx)
		if err != nil {
			return nil, err
		}
		s.idx = ix
		return s.replaceCopies(ctx, ix, nil)
	}
	ix := s.idx
	rows, err := s.st.DB.QueryContext(ctx, `SELECT seq, entry_id FROM library_touched WHERE seq > ? ORDER BY seq`, ix.seq)
	if err != nil {
		return nil, fmt.Errorf("library: read changes: %w", err)
	}
	var ids []string
	seq := ix.seq
	for rows.Next() {
		var id string
		if err := rows.Scan(&seq, &id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	const chunk = 500
	var scratch []gram
	district := []string{} // district entries added: their copies go
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(len(ids), start+chunk)]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
			ix.remove(id)
		}
		rs, err := s.st.DB.QueryContext(ctx, `SELECT `+rowCols+` FROM library_entries WHERE id IN (`+
			strings.TrimSuffix(strings.Repeat("?,", len(part)), ",")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("library: read changed entries: %w", err)
		}
		for rs.Next() {
			r, err := scanRow(rs)
			if err != nil {
				rs.Close()
				return nil, err
			}
			if s.sees(r) {
				scratch = ix.add(r, scratch)
				if r.schoolID == "" {
					district = append(district, r.id)
				}
			}
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, err
		}
	}
	ix.seq = seq
	if ix.dead > 1000 && ix.dead > len(ix.slot) {
		ix.compact()
	}
	return s.replaceCopies(ctx, ix, district)
}

// replaceCopies deletes the school's copies of the district entries named
// by ids (all of them when ids is nil; see copies.go) and catches the
// index up with the deletes.
func (s *Service) replaceCopies(ctx context.Context, ix *index, ids []string) (*index, error) {
	pairs, err := s.copies(ctx, ids)
	if err != nil || len(pairs) == 0 {
		return ix, err
	}
	if err := s.supersede(ctx, pairs); err != nil {
		return nil, err
	}
	return s.ready(ctx)
}

// sees reports whether the library shows a row: live, district-wide or
// the school's own.
func (s *Service) sees(r row) bool {
	return !r.deleted && (r.schoolID == "" || r.schoolID == s.schoolID)
}

// build reads every entry into a new index. The changes seq is read
// first: a write while reading is applied again by the next catch-up,
// which is harmless.
func (s *Service) build(ctx context.Context) (*index, error) {
	ix := newIndex()
	if err := s.st.DB.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM library_touched`).Scan(&ix.seq); err != nil {
		return nil, fmt.Errorf("library: read changes: %w", err)
	}
	rows, err := s.st.DB.QueryContext(ctx, `SELECT `+rowCols+` FROM library_entries WHERE deleted=0 AND school_id IN ('', ?)`, s.schoolID)
	if err != nil {
		return nil, fmt.Errorf("library: read catalogue: %w", err)
	}
	defer rows.Close()
	var scratch []gram
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, err
		}
		scratch = ix.add(r, scratch)
	}
	return ix, rows.Err()
}

// match is a matching slot and its score.
type match struct {
	slot  int32
	score int32
}

// compiled is a Filter in the index's terms.
type compiled struct {
	path   []uint32
	none   bool // a path value no entry has
	kind   Kind
	grade  uint32 // interned decimal grade; 0 for any
	source Source
}

func (ix *index) compile(f Filter) compiled {
	c := compiled{kind: f.Kind, source: f.Source}
	for i, v := range f.Path {
		if i == levels {
			break
		}
		id, ok := ix.names[v]
		if !ok {
			c.none = true
		}
		c.path = append(c.path, id)
	}
	if f.Grade != 0 {
		id, ok := ix.names[strconv.Itoa(f.Grade)]
		c.grade, c.none = id, c.none || !ok
	}
	return c
}

func (c *compiled) keeps(d *doc) bool {
	if d.dead || c.kind != "" && d.kind != c.kind || c.source != "" && d.source != c.source ||
		c.grade != 0 && d.path[levelGrade] != c.grade {
		return false
	}
	for i, id := range c.path {
		if d.path[i] != id {
			return false
		}
	}
	return true
}

// match finds the slots that pass c and hold every term.
func (ix *index) match(terms []string, c compiled) []match {
	if c.none {
		return nil
	}
	var out []match
	if len(terms) == 0 {
		for slot := range ix.docs {
			if c.keeps(&ix.docs[slot]) {
				out = append(out, match{int32(slot), 0})
			}
		}
		return out
	}
	cands, exact := ix.candidates(terms)
	for _, p := range cands {
		slot := int32(p &^ titleBit)
		d := &ix.docs[slot]
		if !c.keeps(d) {
			continue
		}
		if exact { // one term, and its posting list says where it is
			score := int32(elsewhere)
			if p&titleBit != 0 {
				score = inTitle
			}
			out = append(out, match{slot, score})
			continue
		}
		score := int32(0)
		for _, t := range terms {
			sc := termScore(d, t)
			if sc == 0 {
				score = 0
				break
			}
			score += sc
		}
		if score > 0 {
			out = append(out, match{slot, score})
		}
	}
	return out
}

// candidates are the slots holding what every match holds: each term's
// first pair (or character, for a term of one) and every character of
// every term — the intersection of their posting lists. exact is true
// when the query is one term of one or two characters: then the list
// itself is the matches, and its title bits say where.
func (ix *index) candidates(terms []string) (slots []uint32, exact bool) {
	var lists [][]uint32
	for _, t := range terms {
		r0, n0 := utf8.DecodeRuneInString(t)
		key := pair(r0, 0)
		if n0 < len(t) {
			r1, n1 := utf8.DecodeRuneInString(t[n0:])
			key = pair(r0, r1)
			if len(terms) == 1 && n0+n1 == len(t) {
				return ix.grams[key], true
			}
		} else if len(terms) == 1 {
			return ix.grams[key], true
		}
		lists = append(lists, ix.grams[key])
		for _, r := range t {
			lists = append(lists, ix.grams[pair(r, 0)])
		}
	}
	slices.SortFunc(lists, func(a, b []uint32) int { return len(a) - len(b) })
	slots = lists[0]
	for _, l := range lists[1:] {
		if len(slots) == 0 {
			break
		}
		slots = intersect(slots, l)
	}
	return slots, false
}

// intersect keeps the postings of a whose slot is in b (both ascending).
func intersect(a, b []uint32) []uint32 {
	out := make([]uint32, 0, len(a))
	j := 0
	for _, p := range a {
		slot := p &^ titleBit
		for j < len(b) && b[j]&^titleBit < slot {
			j++
		}
		if j == len(b) {
			break
		}
		if b[j]&^titleBit == slot {
			out = append(out, p)
		}
	}
	return out
}

// Scores of a term in an entry.
const (
	inTitle   = 4
	elsewhere = 2
	scattered = 1
)

func termScore(d *doc, t string) int32 {
	switch {
	case strings.Contains(d.text[:d.titleEnd], t):
		return inTitle
	case strings.Contains(d.text, t):
		return elsewhere
	case pieces(d.text, t):
		return scattered
	}
	return 0
}

// pieces reports whether t, of three or more characters, can be cut into
// pieces of two or more characters (the last may be one) that text holds
// apart: 数学三年级 in 三年级数学. It cuts greedily, longest piece first.
func pieces(text, t string) bool {
	if utf8.RuneCountInString(t) < 3 {
		return false
	}
	for t != "" {
		_, n0 := utf8.DecodeRuneInString(t)
		if n0 == len(t) {
			return strings.Contains(text, t)
		}
		_, n1 := utf8.DecodeRuneInString(t[n0:])
		end := n0 + n1
		if !strings.Contains(text, t[:end]) {
			return false
		}
		for end < len(t) {
			_, n := utf8.DecodeRuneInString(t[end:])
			if !strings.Contains(text, t[:end+n]) {
				break
			}
			end += n
		}
		t = t[end:]
	}
	return true
}

// before orders matches: higher score, newer, then by id.
func (ix *index) before(a, b match) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	da, db := &ix.docs[a.slot], &ix.docs[b.slot]
	if da.created != db.created {
		return da.created > db.created
	}
	return da.id > db.id
}

// top returns the best k matches in order.
func (ix *index) top(ms []match, k int) []match {
	if k >= len(ms) {
		out := slices.Clone(ms)
		slices.SortFunc(out, func(a, b match) int {
			if ix.before(a, b) {
				return -1
			}
			return 1
		})
		return out
	}
	h := &worst{ix: ix}
	for _, m := range ms {
		if len(h.ms) < k {
			heap.Push(h, m)
		} else if ix.before(m, h.ms[0]) {
			h.ms[0] = m
			heap.Fix(h, 0)
		}
	}
	out := make([]match, len(h.ms))
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(h).(match)
	}
	return out
}

// worst is a heap with the worst kept match on top.
type worst struct {
	ix *index
	ms []match
}

func (h *worst) Len() int           { return len(h.ms) }
func (h *worst) Less(i, j int) bool { return h.ix.before(h.ms[j], h.ms[i]) }
func (h *worst) Swap(i, j int)      { h.ms[i], h.ms[j] = h.ms[j], h.ms[i] }
func (h *worst) Push(x any)         { h.ms = append(h.ms, x.(match)) }
func (h *worst) Pop() any {
	m := h.ms[len(h.ms)-1]
	h.ms = h.ms[:len(h.ms)-1]
	return m
}

// kindWords are the words a searcher uses for each kind.
var kindWords = map[Kind]string{
	Courseware: "课件", Plan: "教案 教学设计", Video: "微课 视频", Paper: "试卷 测试",
	Homework: "作业", Material: "素材", Recording: "录播课 录播",
}

// gradeWords are the words for a grade of a stage: 三年级, 初一 ….
func gradeWords(stage string, grade int) string {
	if grade < 1 || grade > 12 {
		return ""
	}
	n := []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"}
	w := n[grade] + "年级"
	switch {
	case grade >= 7 && grade <= 9:
		w += " 初" + n[grade-6]
	case grade >= 10:
		w += " 高" + n[grade-9]
	}
	return w
}
