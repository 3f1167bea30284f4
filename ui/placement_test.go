package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
	"qiao/placement"
)

func TestPlacementFlowFromSampleToReport(t *testing.T) {
	// Fyne's test driver runs fyne.Do on the calling goroutine: keep the
	// reveal's ticker from racing the test; "show all" reveals instead.
	defer func(d time.Duration) { revealEvery = d }(revealEvery)
	revealEvery = time.Hour
	h := newHarness(t, t.TempDir())
	sch, _ := h.sv.UseSample(context.Background())
	h.w.refresh()
	h.w.shell.show("placement")
	test.Tap(h.button(i18n.T("placement.import.sample")))
	f := h.w.placement
	if f.roster == nil || len(f.roster.Pupils) != sampleListSize {
		t.Fatal("sample list not loaded")
	}
	digest := placement.Digest(f.roster)
	if !h.hasText(digest[:8]) {
		t.Fatal("check step does not show the list digest")
	}
	test.Tap(h.button(i18n.T("placement.check.next")))
	test.Tap(h.button(i18n.T("placement.params.next")))

	// The ceremony: refuses to draw without entropy, then draws.
	test.Tap(h.button(i18n.T("placement.ceremony.draw")))
	if !h.hasText(i18n.T("placement.ceremony.need_entropy")) || f.result != nil {
		t.Fatal("drew without public entropy")
	}
	entropy := h.entries()[0]
	test.Type(entropy, "3 8 1 6 9")
	test.Tap(h.button(i18n.T("placement.ceremony.draw")))
	h.w.jobs.run()
	if f.result == nil {
		t.Fatal("no result")
	}
	want, _ := placement.Draw(f.roster, f.params, "3 8 1 6 9", "")
	if f.result.OutputDigest != want.OutputDigest {
		t.Fatal("the GUI's draw differs from the library's")
	}
	saved, _ := placement.NewArchive(h.st).List(context.Background(), sch.ID)
	if len(saved) != 1 || saved[0].OutputSHA != want.OutputDigest {
		t.Fatalf("draw not archived: %+v", saved)
	}
	test.Tap(h.button(i18n.T("placement.ceremony.show_all")))
	test.Tap(h.button(i18n.T("placement.ceremony.report")))
	if !h.hasText(want.Seed) {
		t.Fatal("report does not show the seed")
	}
	var table bool
	for _, o := range h.objects() {
		if _, ok := o.(*widget.Table); ok {
			table = true
		}
	}
	if !table {
		t.Fatal("no balance table")
	}
}

func TestPlacementRefusedListShowsEveryProblem(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.sv.UseSample(context.Background())
	h.w.refresh()
	h.w.shell.show("placement")
	_, err := placement.Read("bad.csv", []byte("学号,姓名,性别,出生日期\n1,甲,X,2019-09-01\n1,乙,女,nope\n"))
	if err == nil {
		t.Fatal("bad list read")
	}
	f := h.w.placement
	f.loaded(nil, err, "bad.csv")
	if f.roster != nil || len(f.problems) != 3 {
		t.Fatalf("problems %q", f.problems)
	}
	if !h.hasText(i18n.T("placement.check.refused", "bad.csv", 3)) {
		t.Fatal("no refusal headline")
	}
	var list *widget.List
	for _, o := range h.objects() {
		if l, ok := o.(*widget.List); ok {
			list = l
		}
	}
	if list == nil || list.Length() != 3 || !strings.Contains(f.problems[0], "2") {
		t.Fatal("problems not listed")
	}
}

func TestPlacementParamsRefuseBadClassCount(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.sv.UseSample(context.Background())
	h.w.refresh()
	h.w.shell.show("placement")
	test.Tap(h.button(i18n.T("placement.import.sample")))
	test.Tap(h.button(i18n.T("placement.check.next")))
	classes := h.entries()[0]
	classes.SetText("0")
	test.Tap(h.button(i18n.T("placement.params.next")))
	if !h.hasText(i18n.T("placement.params.bad_classes", sampleListSize)) {
		t.Fatal("0 classes accepted")
	}
}
