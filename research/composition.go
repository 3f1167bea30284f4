package research

import (
	"context"
	"sort"
)

// Targets are the district's composition targets for groups.
type Targets struct {
	MinRuralShare float64        // share of members from rural schools, 0..1
	MinMembers    map[string]int // by group kind
	MaxMembers    map[string]int // by group kind; 0 = no limit
	EveryAgeTier  bool           // at least one member in each age tier
}

// DefaultTargets follow the project-package practice in the seed cases:
// about 20 teachers, a third from rural schools, every age tier present.
var DefaultTargets = Targets{
	MinRuralShare: 0.3,
	MinMembers:    map[string]int{KindProject: 15, KindStudio: 5, KindSchoolGroup: 3, KindCluster: 5},
	MaxMembers:    map[string]int{KindProject: 25},
	EveryAgeTier:  true,
}

// Age tiers of a composition report.
const (
	TierYoung  = iota // 35 or younger
	TierMiddle        // 36 to 45
	TierSenior        // over 45
	TierUnknown
)

// Unmet targets, as flags of a composition report.
const (
	FlagRuralShare = "rural_share"
	FlagTooFew     = "too_few"
	FlagTooMany    = "too_many"
	FlagAgeTier    = "age_tier"
)

// Composition describes who is in a group.
type Composition struct {
	Members    int
	Rural      int
	RuralShare float64
	AgeTiers   [4]int         // by Tier*, ages in the group's year
	Stages     map[string]int // members per stage
	Subjects   map[string]int // members per subject
	Unmet      []string       // Flag* of targets not met, in a fixed order
}

// Composition reports on a group's members against targets.
func (s *Service) Composition(ctx context.Context, groupID string, t Targets) (Composition, error) {
	g, err := s.Group(ctx, groupID)
	if err != nil {
		return Composition{}, err
	}
	members, err := s.Members(ctx, groupID)
	if err != nil {
		return Composition{}, err
	}
	return compose(g, members, t), nil
}

func compose(g Group, members []Member, t Targets) Composition {
	c := Composition{Members: len(members), Stages: map[string]int{}, Subjects: map[string]int{}}
	for _, m := range members {
		if m.Teacher.Rural {
			c.Rural++
		}
		c.AgeTiers[ageTier(m.Teacher.Age(g.Year))]++
		if m.Teacher.Stage != "" {
			c.Stages[m.Teacher.Stage]++
		}
		if m.Teacher.Subject != "" {
			c.Subjects[m.Teacher.Subject]++
		}
	}
	if c.Members > 0 {
		c.RuralShare = float64(c.Rural) / float64(c.Members)
	}
	if c.RuralShare < t.MinRuralShare {
		c.Unmet = append(c.Unmet, FlagRuralShare)
	}
	if c.Members < t.MinMembers[g.Kind] {
		c.Unmet = append(c.Unmet, FlagTooFew)
	}
	if max := t.MaxMembers[g.Kind]; max > 0 && c.Members > max {
		c.Unmet = append(c.Unmet, FlagTooMany)
	}
	if t.EveryAgeTier && (c.AgeTiers[TierYoung] == 0 || c.AgeTiers[TierMiddle] == 0 || c.AgeTiers[TierSenior] == 0) {
		c.Unmet = append(c.Unmet, FlagAgeTier)
	}
	return c
}

func ageTier(age int) int {
	switch {
	case age <= 0:
		return TierUnknown
	case age <= 35:
		return TierYoung
	case age <= 45:
		return TierMiddle
	}
	return TierSenior
}

// SortedKeys lists a count map's keys, most first, then by name.
func SortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}
