package sheet

import (
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func TestReadCSVInUTF8AndGBK(t *testing.T) {
	text := "姓名,学校\n王老师,石桥小学\n"
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String(text)
	for _, data := range [][]byte{[]byte(text), []byte("\xef\xbb\xbf" + text), []byte(gbk)} {
		b, err := Read("t.csv", data)
		if err != nil || b.Sheets[0][1][0] != "王老师" || b.Names[0] != "t" {
			t.Fatalf("%v %v", b, err)
		}
	}
	if _, err := Read("t.xlsx", []byte("no")); err == nil {
		t.Fatal("garbage read as a workbook")
	}
}

func TestColumnsAndCells(t *testing.T) {
	cols, dups := Columns([]string{"  Name ", "学校", "姓 名"}, [][]string{{"姓名", "name"}, {"学校", "school"}, {"学科"}})
	if cols[0] != 0 || cols[1] != 1 || cols[2] != -1 || len(dups) != 1 || dups[0] != [2]int{2, 0} {
		t.Fatalf("cols %v dups %v", cols, dups)
	}
	if HeaderRow([][]string{{"", " "}, {"a"}}) != 1 || HeaderRow(nil) != -1 {
		t.Fatal("header row")
	}
	if Cell([]string{" a\tb "}, 0) != "a b" || Cell([]string{"x"}, 3) != "" || Cell([]string{"x"}, -1) != "" {
		t.Fatal("cell")
	}
	if ColLabel(27, "学科") != "AB（学科）" || ColLabel(0, "") != "A" {
		t.Fatal(ColLabel(27, "学科"))
	}
}

func TestParseDate(t *testing.T) {
	want := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, s := range []string{"2020-01-01", "2020/1/1", "2020.1.1", "20200101", "2020年1月1日", "43831"} {
		if got, ok := ParseDate(s, false); !ok || !got.Equal(want) {
			t.Errorf("%q: %v %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "2020-13-01", "0x1p15", "1e4", "明天"} {
		if _, ok := ParseDate(s, false); ok {
			t.Errorf("%q accepted", s)
		}
	}
}
