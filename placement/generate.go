package placement

import (
	"fmt"
	"math"
	"time"
)

// Generate makes a plausible enrolment list of n pupils for tests,
// benchmarks and the sample school: birth dates over one school year,
// scores around 75 (0-100), about 1% twins (Together), about 1% in Apart
// groups of three, 2% special. The same seed gives the same list.
func Generate(n int, seed uint64) *Roster {
	g := &rng{s: [4]uint64{seed ^ 0x9E3779B97F4A7C15, seed + 1, seed*31 + 7, 0xD1B54A32D192ED03}}
	surnames := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢")
	given := []rune("子涵欣怡梓轩浩然雨桐一诺宇航思远佳怡俊杰嘉怡明轩诗琪晨阳雅婷博文梦瑶志强婉清天佑玥喆昇堃")
	start := DateOf(2019, time.September, 1)
	r := &Roster{}
	twins, apart := 0, 0
	for i := 0; i < n; i++ {
		p := Pupil{ID: fmt.Sprintf("S%06d", i+1), Row: i + 2}
		p.Name = string(surnames[g.intn(len(surnames))]) + string(given[g.intn(len(given))]) + string(given[g.intn(len(given))])
		p.Gender = Female
		if g.intn(1000) < 515 {
			p.Gender = Male
		}
		p.Birth = start + Date(g.intn(366))
		// A rough normal score: the mean of four uniforms, clamped to 0-100.
		sum := 0
		for j := 0; j < 4; j++ {
			sum += g.intn(5001)
		}
		v := 75 + float64((float64(sum)/4-2500)/2500*30*math.Sqrt(3)) // rounded before the add: no fused multiply-add on any CPU
		p.Score, p.HasScore = int64(math.Round(math.Max(0, math.Min(100, v))*100)), true
		p.Special = g.intn(100) < 2
		r.Pupils = append(r.Pupils, p)
	}
	for i := 0; i+1 < n; i++ {
		if g.intn(200) == 0 { // twins: this pupil and the next
			twins++
			label := fmt.Sprintf("T%d", twins)
			r.Pupils[i].Together, r.Pupils[i+1].Together = label, label
			r.Pupils[i+1].Birth = r.Pupils[i].Birth
			i++
		}
	}
	for i := 0; i+2 < n; i += 3 {
		if g.intn(100) == 0 && r.Pupils[i].Together == "" && r.Pupils[i+1].Together == "" && r.Pupils[i+2].Together == "" {
			apart++
			label := fmt.Sprintf("A%d", apart)
			for j := 0; j < 3; j++ {
				r.Pupils[i+j].Apart = label
			}
		}
	}
	return r
}
