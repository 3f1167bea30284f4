package placement

import "sort"

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
	for c, cnt := range perClass {
		if cnt > maxSize {
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
