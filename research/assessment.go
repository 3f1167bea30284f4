package research

import (
	"context"
	"math"
	"sort"
	"strconv"
)

// Weights of the yearly assessment (项目包验收): each part scores 0..1 and
// counts with its weight; the weights are points out of their sum.
type Weights struct {
	Activities    float64 // activities held, against ActivityTarget
	Outputs       float64 // accepted outputs, against OutputsPerMember × members
	Quality       float64 // accepted share of reviewed outputs
	Participation float64 // mean share of members at each activity
	Rural         float64 // share of rural members who took part at least once
	Budget        float64 // budget spent as planned (1 at 100 %, falling either side)

	ActivityTarget   int     // activities a group should hold in a year
	OutputsPerMember float64 // accepted outputs expected per member in a year
}

// DefaultWeights: 100 points, most for doing the work, some for its
// quality and reach. docs/research.md explains them.
var DefaultWeights = Weights{Activities: 30, Outputs: 25, Quality: 15, Participation: 15, Rural: 10, Budget: 5,
	ActivityTarget: 10, OutputsPerMember: 1}

// Score is a group's yearly assessment.
type Score struct {
	Group         Group
	Members       int
	Activities    int
	Accepted      int
	Returned      int
	Participation float64 // 0..1
	RuralMembers  int
	RuralActive   int
	Parts         [6]float64 // Activities, Outputs, Quality, Participation, Rural, Budget, each 0..1
	Points        float64    // 0..100 (the weights' sum)
	Rank          int        // 1 = best
}

// Assess scores every group of year and ranks them, best first.
func (s *Service) Assess(ctx context.Context, year int, w Weights) ([]Score, error) {
	groups, err := s.Groups(ctx, year)
	if err != nil {
		return nil, err
	}
	y := strconv.Itoa(year)
	from, to := y+"-01-01", y+"-12-31"
	byGroup := map[string]*Score{}
	out := make([]Score, len(groups))
	for i, g := range groups {
		out[i].Group = g
		byGroup[g.ID] = &out[i]
	}
	// each runs an aggregate query whose rows are (group id, n numbers)
	// and hands the numbers of known groups to set.
	each := func(q string, n int, set func(*Score, []float64), args ...any) error {
		rows, err := s.st.DB.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			v := make([]float64, n)
			dest := []any{&id}
			for i := range v {
				dest = append(dest, &v[i])
			}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			if sc := byGroup[id]; sc != nil {
				set(sc, v)
			}
		}
		return rows.Err()
	}
	err = each(`SELECT m.group_id, count(*), sum(t.rural) FROM research_members m
		JOIN research_teachers t ON t.id = m.teacher_id AND t.deleted=0
		WHERE m.deleted=0 GROUP BY m.group_id`, 2,
		func(sc *Score, v []float64) { sc.Members, sc.RuralMembers = int(v[0]), int(v[1]) })
	if err == nil {
		err = each(`SELECT a.group_id, count(*), coalesce(avg((SELECT count(*) FROM research_attendance t WHERE t.activity_id=a.id AND t.deleted=0)), 0)
			FROM research_activities a WHERE a.deleted=0 AND a.day BETWEEN ? AND ? GROUP BY a.group_id`, 2,
			func(sc *Score, v []float64) { sc.Activities, sc.Participation = int(v[0]), v[1] }, from, to)
	}
	if err == nil {
		err = each(`SELECT m.group_id, sum(o.state='accepted'), sum(o.state='returned') FROM research_members m
			JOIN research_outputs o ON o.teacher_id = m.teacher_id AND o.deleted=0 AND o.day BETWEEN ? AND ?
			WHERE m.deleted=0 GROUP BY m.group_id`, 2,
			func(sc *Score, v []float64) { sc.Accepted, sc.Returned = int(v[0]), int(v[1]) }, from, to)
	}
	if err == nil {
		// A rural member counts once they attended any of the group's
		// activities of the year: EXISTS stops at the first, where a join
		// would walk all 1.3 million attendance rows of a district.
		err = each(`SELECT m.group_id, count(DISTINCT m.teacher_id) FROM research_members m
			JOIN research_teachers t ON t.id = m.teacher_id AND t.rural=1 AND t.deleted=0
			WHERE m.deleted=0 AND EXISTS (SELECT 1 FROM research_activities a
				JOIN research_attendance at ON at.activity_id = a.id AND at.teacher_id = m.teacher_id AND at.deleted=0
				WHERE a.group_id = m.group_id AND a.deleted=0 AND a.day BETWEEN ? AND ?)
			GROUP BY m.group_id`, 1,
			func(sc *Score, v []float64) { sc.RuralActive = int(v[0]) }, from, to)
	}
	if err != nil {
		return nil, err
	}
	for i := range out {
		score(&out[i], w)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Points != out[j].Points {
			return out[i].Points > out[j].Points
		}
		return out[i].Group.Name < out[j].Group.Name
	})
	for i := range out {
		out[i].Rank = i + 1
		if i > 0 && out[i].Points == out[i-1].Points {
			out[i].Rank = out[i-1].Rank
		}
	}
	return out, nil
}

// score fills in a group's parts and points from its counts.
func score(sc *Score, w Weights) {
	ratio := func(a, b float64) float64 {
		if b <= 0 {
			return 0
		}
		return math.Min(1, a/b)
	}
	if sc.Members > 0 {
		sc.Participation = math.Min(1, sc.Participation/float64(sc.Members))
	} else {
		sc.Participation = 0
	}
	rural := 1.0 // a group with no rural members is not marked down for it
	if sc.RuralMembers > 0 {
		rural = ratio(float64(sc.RuralActive), float64(sc.RuralMembers))
	}
	quality := 0.0
	if reviewed := sc.Accepted + sc.Returned; reviewed > 0 {
		quality = float64(sc.Accepted) / float64(reviewed)
	}
	budget := 1.0
	if b := sc.Group.Budget; b > 0 {
		budget = math.Max(0, 1-math.Abs(float64(sc.Group.Spent)/float64(b)-1))
	}
	sc.Parts = [6]float64{
		ratio(float64(sc.Activities), float64(w.ActivityTarget)),
		ratio(float64(sc.Accepted), w.OutputsPerMember*float64(sc.Members)),
		quality, sc.Participation, rural, budget,
	}
	weights := [6]float64{w.Activities, w.Outputs, w.Quality, w.Participation, w.Rural, w.Budget}
	total := 0.0
	for i, p := range sc.Parts {
		sc.Points += weights[i] * p
		total += weights[i]
	}
	if total > 0 {
		sc.Points = math.Round(sc.Points/total*100*10) / 10
	}
}
