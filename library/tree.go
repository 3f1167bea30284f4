package library

import (
	"context"
	"slices"
	"strconv"
	"strings"
)

// The levels of the textbook tree, in order.
const (
	levelStage = iota
	levelSubject
	levelEdition
	levelGrade
	levelUnit
	levels
)

// Node is one child in the textbook tree: a value of the next level under
// a path, and how many entries it holds.
type Node struct {
	Value string // the level's value; for the grade level, the grade in decimal ("0": not for one grade)
	Grade int    // the grade, at the grade level
	Count int
	Leaf  bool // a unit: the last level
}

// Tree returns the children of path (stage, subject, edition, grade,
// unit; nil for the stages) with their entry counts, over the
// district-wide entries and the school's own. Stages come in school
// order, grades ascending, units by their number (第一单元, 第二单元 …),
// other levels by count, most first. A path that names nothing has no
// children; a full path (a unit) has none either.
func (s *Service) Tree(ctx context.Context, path []string) ([]Node, error) {
	if len(path) >= levels {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, err := s.ready(ctx)
	if err != nil {
		return nil, err
	}
	c := ix.compile(Filter{Path: path})
	if c.none {
		return nil, nil
	}
	level := len(path)
	counts := map[uint32]int{}
	for i := range ix.docs {
		if d := &ix.docs[i]; c.keeps(d) {
			counts[d.path[level]]++
		}
	}
	values := make([]string, len(ix.names))
	for v, id := range ix.names {
		values[id] = v
	}
	nodes := make([]Node, 0, len(counts))
	for id, n := range counts {
		nd := Node{Value: values[id], Count: n, Leaf: level == levelUnit}
		if level == levelGrade {
			nd.Grade, _ = strconv.Atoi(nd.Value)
		}
		nodes = append(nodes, nd)
	}
	slices.SortFunc(nodes, func(a, b Node) int { return compareNodes(level, a, b) })
	return nodes, nil
}

func compareNodes(level int, a, b Node) int {
	var c int
	switch level {
	case levelStage:
		c = stageRank(a.Value) - stageRank(b.Value)
	case levelGrade:
		c = a.Grade - b.Grade
	case levelUnit:
		c = unitNumber(a.Value) - unitNumber(b.Value)
	default:
		c = b.Count - a.Count
	}
	if c == 0 {
		c = strings.Compare(a.Value, b.Value)
	}
	return c
}

func stageRank(v string) int {
	if i := slices.Index(Stages, v); i >= 0 {
		return i
	}
	return len(Stages)
}

// unitNumber is N of a unit named "第N单元…" or "第N章…" (Chinese or
// Arabic numerals; 10000 for anything else, which sorts last).
func unitNumber(v string) int {
	rest, ok := strings.CutPrefix(v, "第")
	if !ok {
		return 10000
	}
	digits := map[rune]int{'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
	n, cur, any := 0, 0, false
	for _, r := range rest {
		switch {
		case r >= '0' && r <= '9':
			cur = cur*10 + int(r-'0')
		case r == '十':
			if cur == 0 {
				cur = 1
			}
			n, cur = n+cur*10, 0
		case r == '百':
			n, cur = n+max(cur, 1)*100, 0
		default:
			d, ok := digits[r]
			if !ok {
				if !any {
					return 10000
				}
				return n + cur
			}
			cur = cur*10 + d
		}
		any = true
	}
	if !any {
		return 10000
	}
	return n + cur
}
