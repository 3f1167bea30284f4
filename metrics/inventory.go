package metrics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"qiao/sheet"
	"qiao/store"
)

// Inventory kinds: what the school has, and how many teachers and pupils
// it has (the records know neither for certain: research lists only the
// teachers who take part, and no table lists pupils).
const (
	TeacherTerminals = "teacher_terminals" // 教师终端
	PupilTerminals   = "pupil_terminals"   // 学生终端
	MultimediaCount  = "multimedia_classrooms"
	SmartClassrooms  = "smart_classrooms" // 智慧教室 (同步课堂 classrooms)
	TeacherCount     = "teachers"
	PupilCount       = "pupils"
)

// InventoryKinds lists the kinds in the order forms and sheets show them,
// with the Chinese names an .xlsx import accepts for each (first is the
// name written).
var InventoryKinds = []struct {
	Kind  string
	Names []string
}{
	{TeacherTerminals, []string{"教师终端", "教师终端数", "教师用终端", "teacher_terminals"}},
	{PupilTerminals, []string{"学生终端", "学生终端数", "学生用终端", "pupil_terminals"}},
	{MultimediaCount, []string{"多媒体教室", "多媒体教室数", "multimedia_classrooms"}},
	{SmartClassrooms, []string{"智慧教室", "智慧课堂教室", "智慧教室数", "smart_classrooms"}},
	{TeacherCount, []string{"教师人数", "教师数", "教职工人数", "teachers"}},
	{PupilCount, []string{"学生人数", "学生数", "在校生人数", "pupils"}},
}

// Inventory is a school's counts by kind; a kind not entered is absent.
type Inventory map[string]int64

// Has reports whether kind was entered.
func (inv Inventory) Has(kind string) bool { _, ok := inv[kind]; return ok }

// InventoryItem is one entered count.
type InventoryItem struct {
	Kind  string
	Count int64
	Note  string
}

// ErrInventory means an inventory item names no known kind or has a negative count.
var ErrInventory = Error{Code: "bad_inventory"}

func knownKind(k string) bool {
	for _, c := range InventoryKinds {
		if c.Kind == k {
			return true
		}
	}
	return false
}

// Service keeps one school's inventory and checklist scores.
type Service struct {
	st     *store.Store
	school string
}

// NewService returns the service of school on st.
func NewService(st *store.Store, school string) *Service { return &Service{st, school} }

// Inventory returns the school's entered counts.
func (s *Service) Inventory(ctx context.Context) (Inventory, error) {
	m, err := LoadInventory(ctx, s.st.DB, []string{s.school})
	return m[s.school], err
}

// InventoryItems returns the school's entered counts with their notes,
// in the order of InventoryKinds.
func (s *Service) InventoryItems(ctx context.Context) ([]InventoryItem, error) {
	by := map[string]InventoryItem{}
	var it InventoryItem
	err := scanAll(ctx, s.st.DB, `SELECT kind, count, note FROM school_inventory WHERE deleted = 0 AND school_id = ? ORDER BY hlc`,
		[]any{s.school}, []any{&it.Kind, &it.Count, &it.Note}, func() error { by[it.Kind] = it; return nil })
	var out []InventoryItem
	for _, k := range InventoryKinds {
		if it, ok := by[k.Kind]; ok {
			out = append(out, it)
		}
	}
	return out, err
}

// LoadInventory returns the entered counts of each school (schools with
// none have an empty Inventory).
func LoadInventory(ctx context.Context, q Querier, schools []string) (map[string]Inventory, error) {
	out := map[string]Inventory{}
	for _, s := range schools {
		out[s] = Inventory{}
	}
	if len(schools) == 0 {
		return out, nil
	}
	var school, kind string
	var n int64
	err := scanAll(ctx, q, `SELECT school_id, kind, count FROM school_inventory WHERE deleted = 0 AND school_id IN (`+
		placeholders(len(schools))+`) ORDER BY hlc`, anys(schools), []any{&school, &kind, &n}, func() error {
		if inv := out[school]; inv != nil {
			inv[kind] = n
		}
		return nil
	})
	return out, err
}

// PutInventory enters counts (all or none).
func (s *Service) PutInventory(ctx context.Context, items ...InventoryItem) error {
	for _, it := range items {
		if !knownKind(it.Kind) || it.Count < 0 {
			return fmt.Errorf("%w: %s %d", ErrInventory, it.Kind, it.Count)
		}
	}
	return s.st.Update(ctx, func(tx *store.Tx) error {
		for _, it := range items {
			id, err := keyedID(ctx, tx, "school_inventory", "kind = ?", []any{it.Kind}, s.school, "inventory", it.Kind)
			if err != nil {
				return err
			}
			if _, err := tx.Put("school_inventory", s.school, id, store.Fields{
				"kind": it.Kind, "count": it.Count, "note": strings.TrimSpace(it.Note)}); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteInventory removes an entered count (the kind is then unknown).
func (s *Service) DeleteInventory(ctx context.Context, kind string) error {
	return s.st.Update(ctx, func(tx *store.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM school_inventory WHERE school_id = ? AND kind = ? AND deleted = 0`, s.school, kind)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			if err := tx.Delete("school_inventory", id); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// keyedID is the id of the school's row of table that where selects (a
// natural key: an inventory kind, an item's score for a term): the
// existing row's, else one derived from the key, so two devices that add
// the same key offline write the same row. (A school's rows keep their
// ids when the school's id changes on joining the district.)
func keyedID(ctx context.Context, tx *store.Tx, table, where string, args []any, school string, key ...string) (string, error) {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM `+table+` WHERE school_id = ? AND `+where+` ORDER BY deleted, hlc DESC LIMIT 1`,
		append([]any{school}, args...)...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return rowID(append([]string{school}, key...)...), nil
	}
	return id, err
}

// Problem codes of the inventory import, beside the shared ones.
const (
	ProblemBadKind  = "bad_inventory_kind"
	ProblemBadCount = "bad_count"
)

const (
	icKind = iota
	icCount
	icNote
)

var inventoryHeaders = [][]string{
	icKind:  {"项目", "名称", "类别", "item", "kind"},
	icCount: {"数量", "数目", "count", "number"},
	icNote:  {"备注", "说明", "note"},
}

// ReadInventory reads an inventory sheet (.xlsx or .csv) with the columns
// 项目, 数量 and optionally 备注, one kind a row. Every bad row is a
// problem (*sheet.InputError); any problem refuses the whole sheet.
func ReadInventory(name string, data []byte) ([]InventoryItem, error) {
	book, err := sheet.Read(name, data)
	if err != nil {
		return nil, sheet.Unreadable(err)
	}
	if len(book.Sheets) == 0 {
		return nil, &sheet.InputError{Problems: []sheet.Problem{{Code: "no_rows"}}}
	}
	rows := book.Sheets[0]
	h := sheet.HeaderRow(rows)
	if h < 0 {
		return nil, &sheet.InputError{Problems: []sheet.Problem{{Code: "no_rows"}}}
	}
	headers := rows[h]
	cols, dups := sheet.Columns(headers, inventoryHeaders)
	var problems []sheet.Problem
	for _, d := range dups {
		problems = append(problems, sheet.Problem{Row: h + 1, Column: sheet.ColLabel(d[0], headers[d[0]]), Code: "duplicate_column", Args: []any{headers[d[1]]}})
	}
	for _, r := range []int{icKind, icCount} {
		if cols[r] < 0 {
			problems = append(problems, sheet.Problem{Row: h + 1, Column: inventoryHeaders[r][0], Code: "missing_column"})
		}
	}
	if len(problems) > 0 {
		return nil, &sheet.InputError{Problems: problems}
	}
	label := func(role int) string { return sheet.ColLabel(cols[role], headers[cols[role]]) }
	var out []InventoryItem
	seen := map[string]int{}
	for i := h + 1; i < len(rows); i++ {
		r, row := rows[i], i+1
		if sheet.Blank(r) {
			continue
		}
		name, count := sheet.Cell(r, cols[icKind]), sheet.Cell(r, cols[icCount])
		kind := kindNamed(name)
		switch {
		case name == "":
			problems = append(problems, sheet.Problem{Row: row, Column: label(icKind), Code: "empty"})
		case kind == "":
			problems = append(problems, sheet.Problem{Row: row, Column: label(icKind), Code: ProblemBadKind, Args: []any{name}})
		case seen[kind] > 0:
			problems = append(problems, sheet.Problem{Row: row, Column: label(icKind), Code: "duplicate_id", Args: []any{name, seen[kind]}})
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(count, ".0"), 10, 64)
		switch {
		case count == "":
			problems = append(problems, sheet.Problem{Row: row, Column: label(icCount), Code: "empty"})
		case err != nil || n < 0 || n > 1_000_000:
			problems = append(problems, sheet.Problem{Row: row, Column: label(icCount), Code: ProblemBadCount, Args: []any{count}})
		}
		if kind != "" && seen[kind] == 0 {
			seen[kind] = row
		}
		out = append(out, InventoryItem{Kind: kind, Count: n, Note: sheet.Cell(r, cols[icNote])})
	}
	if len(out) == 0 && len(problems) == 0 {
		problems = append(problems, sheet.Problem{Row: h + 1, Code: "no_rows"})
	}
	if len(problems) > 0 {
		return nil, &sheet.InputError{Problems: problems}
	}
	return out, nil
}

// kindNamed is the kind a sheet's 项目 cell names ("" if none).
func kindNamed(name string) string {
	n := sheet.NormHeader(name)
	for _, k := range InventoryKinds {
		for _, alias := range k.Names {
			if n == sheet.NormHeader(alias) {
				return k.Kind
			}
		}
	}
	return ""
}

// ImportInventory reads an inventory sheet and enters all of it, or
// nothing if any row is wrong.
func (s *Service) ImportInventory(ctx context.Context, name string, data []byte) ([]InventoryItem, error) {
	items, err := ReadInventory(name, data)
	if err != nil {
		return nil, err
	}
	return items, s.PutInventory(ctx, items...)
}
