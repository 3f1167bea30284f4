package messages

import (
	"fmt"
	"strings"
	"testing"

	"qiao/i18n"
	"qiao/placement"
	"qiao/store"
)

func TestMessagesSayWhereAndWhat(t *testing.T) {
	defer i18n.Use(i18n.Chinese)
	i18n.Use(i18n.Chinese)
	got := Problem(placement.Problem{Row: 7, Column: "D（出生日期）", Code: placement.ProblemBadDate, Args: []any{"2019-13-01"}})
	if got != "第 7 行，D（出生日期） 列：“2019-13-01”不是有效的日期。请写成 2019-09-01 或 2019/9/1。" {
		t.Fatalf("%q", got)
	}
	d := Difference(placement.Difference{Code: placement.DiffClass, PupilID: "S1", Sheet: placement.SheetAll, Row: 2, Recorded: "3", Recomputed: "4"})
	if d != "学号 S1：记录在 3 班，重新计算应在 4 班。（“全部学生”表第 2 行）" {
		t.Fatalf("%q", d)
	}
	if Error(fmt.Errorf("wrapped: %w", store.ErrLocked)) != i18n.T("err.locked") {
		t.Fatal("store error not explained")
	}
	i18n.Use(i18n.English)
	lines := Problems(&placement.InputError{Problems: []placement.Problem{{Code: placement.ProblemNoRows}, {Row: 2, Code: placement.ProblemEmpty}}})
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "row 2: ") {
		t.Fatalf("%q", lines)
	}
	for _, s := range append(lines, d) {
		if strings.Contains(s, "%!") {
			t.Fatalf("formatting error in %q", s)
		}
	}
}
