package placement

import (
	"sort"
	"unicode/utf8"

	"qiao/sheet"
)

// checkGroups finds group rules that no number of classes can satisfy.
func checkGroups(pupils []Pupil) []Problem {
	var problems []Problem
	together := groupBy(pupils, func(p Pupil) string { return p.Together })
	for _, label := range sortedKeys(together) {
		members := together[label]
		fixed, apart := 0, map[string]bool{}
		for _, i := range members {
			p := pupils[i]
			if p.Fixed != 0 && fixed != 0 && p.Fixed != fixed {
				problems = append(problems, Problem{Row: p.Row, Column: "同班/Together", Code: ProblemTogetherFixed, Args: []any{label}})
			}
			if p.Fixed != 0 {
				fixed = p.Fixed
			}
			if p.Apart != "" && apart[p.Apart] {
				problems = append(problems, Problem{Row: p.Row, Column: "分开/Apart", Code: ProblemTogetherApart, Args: []any{label, p.Apart}})
			}
			apart[p.Apart] = true
		}
	}
	apart := groupBy(pupils, func(p Pupil) string { return p.Apart })
	for _, label := range sortedKeys(apart) {
		seen := map[int]bool{}
		for _, i := range apart[label] {
			p := pupils[i]
			if p.Fixed != 0 && seen[p.Fixed] {
				problems = append(problems, Problem{Row: p.Row, Column: "分开/Apart", Code: ProblemApartFixed, Args: []any{label, p.Fixed}})
			}
			seen[p.Fixed] = true
		}
	}
	return problems
}

// checkRoster finds what breaks the canonical form in a roster built in
// code rather than read from a file (docs/placement-spec.md §2): IDs must
// be unique and sorted, text fields clean (no tabs or line breaks, no
// surrounding spaces, valid UTF-8), genders M or F, teachers sorted.
func checkRoster(r *Roster) []Problem {
	var problems []Problem
	clean := func(s string) bool { return utf8.ValidString(s) && sheet.Clean(s) == s }
	for i, p := range r.Pupils {
		if p.ID == "" || p.Name == "" || !clean(p.ID) || !clean(p.Name) || !clean(p.Together) || !clean(p.Apart) ||
			(p.Gender != Male && p.Gender != Female) || p.Fixed < 0 || (i > 0 && r.Pupils[i-1].ID >= p.ID) {
			problems = append(problems, Problem{Row: p.Row, Code: ProblemNotCanonical, Args: []any{p.ID}})
		}
	}
	for i, t := range r.Teachers {
		if t == "" || !clean(t) || (i > 0 && r.Teachers[i-1] > t) {
			problems = append(problems, Problem{Code: ProblemNotCanonical, Args: []any{t}})
		}
	}
	return problems
}

// checkClasses finds what makes a draw into k classes impossible.
func checkClasses(r *Roster, k int) []Problem {
	var problems []Problem
	n := len(r.Pupils)
	if k < 1 || n < k {
		return []Problem{{Code: ProblemTooFewPupils, Args: []any{n, k}}}
	}
	maxSize := (n + k - 1) / k
	perClass := map[int]int{}
	for _, p := range r.Pupils {
		if p.Fixed > k {
			problems = append(problems, Problem{Row: p.Row, Column: "指定班级/Fixed", Code: ProblemBadFixed, Args: []any{p.Fixed, k}})
		}
		if p.Fixed > 0 {
			perClass[p.Fixed]++
		}
	}
	for c := 1; c <= k; c++ {
		if cnt := perClass[c]; cnt > maxSize {
			problems = append(problems, Problem{Code: ProblemFixedOverflow, Args: []any{c, cnt, maxSize}})
		}
	}
	together := groupBy(r.Pupils, func(p Pupil) string { return p.Together })
	for _, label := range sortedKeys(together) {
		if m := together[label]; len(m) > maxSize {
			problems = append(problems, Problem{Row: r.Pupils[m[0]].Row, Column: "同班/Together", Code: ProblemTogetherTooLarge, Args: []any{label, len(m), maxSize}})
		}
	}
	apart := groupBy(r.Pupils, func(p Pupil) string { return p.Apart })
	for _, label := range sortedKeys(apart) {
		if m := apart[label]; len(m) > k {
			problems = append(problems, Problem{Row: r.Pupils[m[0]].Row, Column: "分开/Apart", Code: ProblemApartTooLarge, Args: []any{label, len(m), k}})
		}
	}
	if len(r.Teachers) > 0 && len(r.Teachers) < k {
		problems = append(problems, Problem{Code: ProblemTooFewTeachers, Args: []any{len(r.Teachers), k}})
	}
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Row < problems[j].Row })
	return problems
}

// groupBy maps each non-empty label to the indexes of its pupils, in order.
func groupBy(pupils []Pupil, label func(Pupil) string) map[string][]int {
	g := map[string][]int{}
	for i, p := range pupils {
		if l := label(p); l != "" {
			g[l] = append(g[l], i)
		}
	}
	return g
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
