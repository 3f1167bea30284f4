package placement

import (
	"bytes"
	"testing"
)

func TestRosterTemplateRoundTrips(t *testing.T) {
	r := Generate(300, 9)
	r.Pupils[5].Fixed = 2
	r.Pupils[7].HasScore = false
	r.Teachers = []string{"周老师", "吴老师", "郑老师"}
	var buf bytes.Buffer
	if err := WriteRosterXLSX(&buf, r); err != nil {
		t.Fatal(err)
	}
	back, err := Read("list.xlsx", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	want := &Roster{Pupils: r.Pupils, Teachers: []string{"吴老师", "周老师", "郑老师"}}
	if Digest(back) != Digest(want) {
		t.Fatalf("digest changed through the spreadsheet:\n%s\n%s", Canonical(back)[:300], Canonical(want)[:300])
	}
}
