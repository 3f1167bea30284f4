package metrics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"qiao/store"
)

// ChecklistItem is one item of the 数字校园 self-assessment: the
// district's (SchoolID "") or a school's own.
type ChecklistItem struct {
	ID        string
	SchoolID  string
	Section   string
	Title     string
	MaxPoints int64
	Position  int
}

// DefaultChecklist is used when the district has set no items: 100
// points over infrastructure, resources, use, management and skills.
var DefaultChecklist = []ChecklistItem{
	{Section: "基础设施", Title: "校园网络覆盖所有教室和办公室", MaxPoints: 10},
	{Section: "基础设施", Title: "每个教室配备多媒体教学设备", MaxPoints: 10},
	{Section: "基础设施", Title: "教师人手一台教学终端", MaxPoints: 10},
	{Section: "数字资源", Title: "建有校本资源库并持续更新", MaxPoints: 10},
	{Section: "教学应用", Title: "常态化开展同步课堂", MaxPoints: 15},
	{Section: "教学应用", Title: "开展网络教研活动", MaxPoints: 15},
	{Section: "管理服务", Title: "学校数据统一管理、按时同步", MaxPoints: 10},
	{Section: "管理服务", Title: "建立网络与数据安全制度", MaxPoints: 10},
	{Section: "信息素养", Title: "教师参加信息技术应用能力培训", MaxPoints: 10},
}

func init() {
	for i := range DefaultChecklist {
		DefaultChecklist[i].ID = rowID("checklist-default", DefaultChecklist[i].Title)
		DefaultChecklist[i].Position = i
	}
}

// ChecklistEntry is an item with the school's points for a term.
type ChecklistEntry struct {
	Item   ChecklistItem
	Points int64
	Scored bool // the school has scored the item this term
	Note   string
}

// Checklist is a school's self-assessment for a term.
type Checklist struct {
	Term      Term
	Entries   []ChecklistEntry
	Points    int64 // the sum of the points given
	MaxPoints int64 // the sum of the items' maximum points
}

// Percent is the checklist's score: points out of the maximum, in
// percent (0 with no items).
func (c Checklist) Percent() float64 { return percent(float64(c.Points), float64(c.MaxPoints)) }

// Errors of the checklist.
var (
	ErrChecklistItem   = Error{Code: "bad_checklist_item"}   // no title or no maximum
	ErrChecklistPoints = Error{Code: "bad_checklist_points"} // points beyond the item's maximum
	ErrNoItem          = Error{Code: "no_checklist_item"}
)

// LoadChecklist returns each school's checklist for term: the district's
// items (or DefaultChecklist if it has set none), then the school's own,
// each with the points given.
func LoadChecklist(ctx context.Context, q Querier, schools []string, term Term) (map[string]Checklist, error) {
	out := map[string]Checklist{}
	if len(schools) == 0 {
		return out, nil
	}
	var district []ChecklistItem
	own := map[string][]ChecklistItem{}
	var it ChecklistItem
	err := scanAll(ctx, q, `SELECT id, school_id, section, title, max_points, position FROM metrics_checklist_items
		WHERE deleted = 0 AND school_id IN ('', `+placeholders(len(schools))+`)`, anys(schools),
		[]any{&it.ID, &it.SchoolID, &it.Section, &it.Title, &it.MaxPoints, &it.Position}, func() error {
			if it.SchoolID == "" {
				district = append(district, it)
			} else {
				own[it.SchoolID] = append(own[it.SchoolID], it)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	if len(district) == 0 {
		district = DefaultChecklist
	}
	type key struct{ school, item string }
	points := map[key]ChecklistEntry{}
	var school, item, note string
	var p int64
	err = scanAll(ctx, q, `SELECT school_id, item_id, points, note FROM metrics_checklist_scores
		WHERE deleted = 0 AND term = ? AND school_id IN (`+placeholders(len(schools))+`) ORDER BY hlc`, append([]any{term.Key()}, anys(schools)...),
		[]any{&school, &item, &p, &note}, func() error {
			points[key{school, item}] = ChecklistEntry{Points: p, Scored: true, Note: note}
			return nil
		})
	if err != nil {
		return nil, err
	}
	for _, s := range schools {
		items := append(sortItems(district), sortItems(own[s])...)
		c := Checklist{Term: term}
		for _, it := range items {
			e := points[key{s, it.ID}]
			e.Item, e.Points = it, min(e.Points, it.MaxPoints)
			c.Entries = append(c.Entries, e)
			c.Points += e.Points
			c.MaxPoints += it.MaxPoints
		}
		out[s] = c
	}
	return out, nil
}

func sortItems(items []ChecklistItem) []ChecklistItem {
	out := append([]ChecklistItem(nil), items...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Position != out[j].Position {
			return out[i].Position < out[j].Position
		}
		return out[i].Title < out[j].Title
	})
	return out
}

// Checklist returns the school's checklist for term.
func (s *Service) Checklist(ctx context.Context, term Term) (Checklist, error) {
	m, err := LoadChecklist(ctx, s.st.DB, []string{s.school}, term)
	return m[s.school], err
}

// PutItem adds or changes one of the school's own items (an empty id
// adds). The district writes its items with PutDistrictItem.
func (s *Service) PutItem(ctx context.Context, it ChecklistItem) (ChecklistItem, error) {
	return putItem(ctx, s.st, s.school, it)
}

// PutDistrictItem adds or changes a district-wide item (school_id ”):
// only a district administrator's device may push such rows.
func PutDistrictItem(ctx context.Context, st *store.Store, it ChecklistItem) (ChecklistItem, error) {
	return putItem(ctx, st, "", it)
}

func putItem(ctx context.Context, st *store.Store, school string, it ChecklistItem) (ChecklistItem, error) {
	it.Title, it.Section, it.SchoolID = strings.TrimSpace(it.Title), strings.TrimSpace(it.Section), school
	if it.Title == "" || it.MaxPoints <= 0 {
		return it, ErrChecklistItem
	}
	err := st.Update(ctx, func(tx *store.Tx) error {
		if school == "" {
			if err := adoptDefaults(ctx, tx); err != nil {
				return err
			}
		}
		rec, err := tx.Put("metrics_checklist_items", school, it.ID, store.Fields{
			"section": it.Section, "title": it.Title, "max_points": it.MaxPoints, "position": it.Position})
		it.ID = rec.ID
		return err
	})
	return it, err
}

// adoptDefaults makes the built-in items the district's own rows, with
// their ids, before the district's first change to its list: the district
// then changes the list it sees rather than replacing it, and the scores
// schools gave the built-in items stay theirs. Once the district has rows
// (even deleted ones) it does nothing.
func adoptDefaults(ctx context.Context, tx *store.Tx) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM metrics_checklist_items WHERE school_id = ''`).Scan(&n); err != nil || n > 0 {
		return err
	}
	for _, d := range DefaultChecklist {
		if _, err := tx.Put("metrics_checklist_items", "", d.ID, store.Fields{
			"section": d.Section, "title": d.Title, "max_points": d.MaxPoints, "position": d.Position}); err != nil {
			return err
		}
	}
	return nil
}

// DeleteItem removes one of the school's own items (on the district's
// service, one of the district's, built-in ones included).
func (s *Service) DeleteItem(ctx context.Context, id string) error {
	return s.st.Update(ctx, func(tx *store.Tx) error {
		if s.school == "" {
			if err := adoptDefaults(ctx, tx); err != nil {
				return err
			}
		}
		var owner string
		err := tx.QueryRowContext(ctx, `SELECT school_id FROM metrics_checklist_items WHERE id = ? AND deleted = 0`, id).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) || err == nil && owner != s.school {
			return ErrNoItem
		} else if err != nil {
			return err
		}
		return tx.Delete("metrics_checklist_items", id)
	})
}

// Score gives the school's points for an item in term (0 up to the item's maximum).
func (s *Service) Score(ctx context.Context, term Term, itemID string, points int64, note string) error {
	c, err := s.Checklist(ctx, term)
	if err != nil {
		return err
	}
	for _, e := range c.Entries {
		if e.Item.ID != itemID {
			continue
		}
		if points < 0 || points > e.Item.MaxPoints {
			return fmt.Errorf("%w: %d of %d", ErrChecklistPoints, points, e.Item.MaxPoints)
		}
		return s.st.Update(ctx, func(tx *store.Tx) error {
			id, err := keyedID(ctx, tx, "metrics_checklist_scores", "item_id = ? AND term = ?", []any{itemID, term.Key()}, s.school, "score", itemID, term.Key())
			if err != nil {
				return err
			}
			_, err = tx.Put("metrics_checklist_scores", s.school, id, store.Fields{
				"item_id": itemID, "term": term.Key(), "points": points, "note": strings.TrimSpace(note)})
			return err
		})
	}
	return ErrNoItem
}
