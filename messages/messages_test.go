package messages

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"qiao/district"
	"qiao/i18n"
	"qiao/placement"
	"qiao/replica"
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

func TestSyncErrorsSayWhatToDo(t *testing.T) {
	defer i18n.Use(i18n.Chinese)
	for _, lang := range i18n.Languages {
		i18n.Use(lang)
		for _, c := range serverCodes {
			err := fmt.Errorf("push: %w", &replica.ServerError{Status: 403, APIError: district.APIError{Code: c, Message: "x"}})
			if got := Error(err); got != i18n.T("sync.err.code."+c) || strings.HasPrefix(got, "sync.") {
				t.Errorf("%s %s: %q", lang, c, got)
			}
		}
		if got := Error(&replica.ServerError{Status: 400, APIError: district.APIError{Code: "bad_cursor", Message: "after must be a number"}}); !strings.Contains(got, "bad_cursor") || !strings.Contains(got, "after must be a number") {
			t.Errorf("%s: unknown code: %q", lang, got)
		}
		mismatch := fmt.Errorf("sync: %w", &district.FingerprintMismatchError{Got: "AA:BB", Want: "CC:DD"})
		if got := Error(mismatch); !strings.Contains(got, "AA:BB") || !strings.Contains(got, "CC:DD") {
			t.Errorf("%s: mismatch: %q", lang, got)
		}
		if SyncBrief(mismatch) != i18n.T("sync.brief.fingerprint") {
			t.Errorf("%s: brief mismatch", lang)
		}
		_, dial := net.Dial("tcp", "127.0.0.1:1")
		if dial == nil {
			t.Skip("something listens on port 1")
		}
		unreach := fmt.Errorf("cannot reach the district server: %w", dial)
		if Error(unreach) != i18n.T("sync.err.network") || SyncBrief(unreach) != i18n.T("sync.brief.offline") {
			t.Errorf("%s: network: %q", lang, Error(unreach))
		}
		if Error(replica.ErrNotEnrolled) != i18n.T("sync.err.not_enrolled") {
			t.Errorf("%s: not enrolled", lang)
		}
	}
}
