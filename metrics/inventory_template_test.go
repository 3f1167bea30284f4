package metrics

import (
	"bytes"
	"errors"
	"testing"

	"qiao/sheet"
)

func TestInventoryTemplateReadsBack(t *testing.T) {
	var items []InventoryItem
	for i, k := range InventoryKinds {
		items = append(items, InventoryItem{Kind: k.Kind, Count: int64(10 * (i + 1)), Note: "备注" + k.Names[0]})
	}
	// Entered in reverse, listed in InventoryKinds' order with their notes.
	s := NewService(openStore(t), "school")
	for i := len(items) - 1; i >= 0; i-- {
		if err := s.PutInventory(ctx, items[i]); err != nil {
			t.Fatal(err)
		}
	}
	if listed, err := s.InventoryItems(ctx); err != nil || len(listed) != len(items) || listed[0] != items[0] || listed[5] != items[5] {
		t.Fatalf("InventoryItems %+v %v", listed, err)
	}
	var buf bytes.Buffer
	if err := WriteInventoryTemplate(&buf, items...); err != nil {
		t.Fatal(err)
	}
	got, err := ReadInventory("设备清单.xlsx", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(items) {
		t.Fatalf("read %d items, want %d: %+v", len(got), len(items), got)
	}
	for i := range items {
		if got[i] != items[i] {
			t.Errorf("row %d: %+v, want %+v", i+2, got[i], items[i])
		}
	}

	// The blank template names every kind and leaves every count to fill
	// in: read as is, each row's 数量 is refused, nothing is entered.
	buf.Reset()
	if err := WriteInventoryTemplate(&buf); err != nil {
		t.Fatal(err)
	}
	_, err = ReadInventory("设备清单.xlsx", buf.Bytes())
	var ie *sheet.InputError
	if !errors.As(err, &ie) || len(ie.Problems) != len(InventoryKinds) {
		t.Fatalf("blank template: %v", err)
	}
	for i, p := range ie.Problems {
		if p.Row != i+2 || p.Code != "empty" || p.Column != "B（数量）" {
			t.Errorf("blank template problem %d: %+v", i, p)
		}
	}
}

func TestDistrictTargetsAreWhatTheDistrictSet(t *testing.T) {
	st := openStore(t)
	if got, err := DistrictTargets(ctx, st.DB); err != nil || len(got) != 0 {
		t.Fatalf("no targets set: %v %v", got, err)
	}
	set := []Target{{Stage: Junior, Indicator: LessonsPerClassroom, Value: 60}, {Indicator: SubjectsPerClassroom, Value: 4}}
	for _, tg := range set {
		if err := SetTarget(ctx, st, tg); err != nil {
			t.Fatal(err)
		}
	}
	got, err := DistrictTargets(ctx, st.DB)
	if err != nil || len(got) != 2 || got[0] != set[1] || got[1] != set[0] {
		t.Errorf("district targets %+v %v, want all-stage first: %+v", got, err, set)
	}
}
