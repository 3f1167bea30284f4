package metrics

import (
	"io"

	"github.com/xuri/excelize/v2"
)

// WriteInventoryTemplate writes an inventory sheet that ReadInventory
// reads: the headers 项目, 数量, 备注 and one row per kind of
// InventoryKinds, named as the importer names it first. Kinds in items
// get their count and note; the others are left blank for the school to
// fill in (a blank count is refused on import, so a row left blank must be
// filled in or deleted — nothing is entered by guess).
func WriteInventoryTemplate(w io.Writer, items ...InventoryItem) error {
	byKind := map[string]InventoryItem{}
	for _, it := range items {
		byKind[it.Kind] = it
	}
	f := excelize.NewFile()
	defer f.Close()
	const name = "设备清单"
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return err
	}
	rows := [][]any{{inventoryHeaders[icKind][0], inventoryHeaders[icCount][0], inventoryHeaders[icNote][0]}}
	for _, k := range InventoryKinds {
		row := []any{k.Names[0], nil, nil}
		if it, ok := byKind[k.Kind]; ok {
			row[1], row[2] = it.Count, it.Note
		}
		rows = append(rows, row)
	}
	for i, r := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			return err
		}
		if err := f.SetSheetRow(name, cell, &r); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(name, "A", "A", 16); err != nil {
		return err
	}
	if err := f.SetColWidth(name, "C", "C", 30); err != nil {
		return err
	}
	return f.Write(w)
}
