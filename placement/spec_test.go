package placement

import (
	"fmt"
	"time"
	"testing"
)

// specExample is the worked example of docs/placement-spec.md §9.
func specExample() (*Roster, Params, string, string) {
	d := func(y, m, dd int) Date { return DateOf(y, time.Month(m), dd) }
	r := &Roster{Pupils: []Pupil{
		{ID: "P01", Name: "张伟", Gender: Male, Birth: d(2019, 9, 3), Score: 8850, HasScore: true},
		{ID: "P02", Name: "王芳", Gender: Female, Birth: d(2019, 11, 20), Score: 9200, HasScore: true},
		{ID: "P03", Name: "李娜", Gender: Female, Birth: d(2020, 1, 15), Score: 7625, HasScore: true, Together: "T1"},
		{ID: "P04", Name: "李强", Gender: Male, Birth: d(2020, 1, 15), Score: 7975, HasScore: true, Together: "T1"},
		{ID: "P05", Name: "刘洋", Gender: Male, Birth: d(2020, 3, 8), Score: 9500, HasScore: true, Apart: "A1"},
		{ID: "P06", Name: "陈静", Gender: Female, Birth: d(2019, 12, 1), Score: 8100, HasScore: true, Apart: "A1", Special: true},
		{ID: "P07", Name: "杨磊", Gender: Male, Birth: d(2020, 6, 30)},
		{ID: "P08", Name: "赵敏", Gender: Female, Birth: d(2020, 8, 31), Score: 6850, HasScore: true},
	}, Teachers: []string{"李老师", "王老师"}}
	return r, Params{Classes: 2, BalanceScore: true, BalanceAge: true}, "1 2 3", ""
}

func TestSpecExamplePrint(t *testing.T) {
	r, p, e, s := specExample()
	fmt.Printf("%s", Canonical(r))
	dg := Digest(r)
	fmt.Println("digest", dg)
	fmt.Printf("params %q\n", p.canonical())
	fmt.Printf("seedinput %q\n", "qiao-placement-seed-v1\n"+dg+"\n"+p.canonical()+"\n"+NormalizeEntropy(e)+"\n"+NormalizeEntropy(s)+"\n")
	seed := Seed(dg, p, e, s)
	fmt.Printf("seed %x\n", seed)
	g := newRNG(seed)
	fmt.Printf("state %016x %016x %016x %016x\n", g.s[0], g.s[1], g.s[2], g.s[3])
	for i := 0; i < 6; i++ {
		fmt.Printf("next %d %016x\n", g.next(), 0)
	}
	res, err := Draw(r, p, e, s)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("%+v\n", res)
}
