package placement

// Weights of the balance objective (docs/placement-spec.md §5.12.3): the class
// mean counts fully, the class spread (standard deviation) a quarter.
const (
	weightMean   = 1.0
	weightSpread = 0.25
	// swapsPerPupil is how many swap proposals the improvement makes per pupil.
	swapsPerPupil = 100
	// minGain is the least decrease of the objective that makes a swap.
	minGain = 1e-12
)

// classStats are exact integer sums over one class.
type classStats struct {
	nScore, sumScore, sqScore int64 // pupils with a score; hundredths
	nAge, sumAge, sqAge       int64 // birth dates as days after the earliest
}

// norms are the whole year's means and standard deviations.
type norms struct {
	score, age struct{ mean, sd float64 }
}

func (d *dealer) pupilValues(i int) (score int64, hasScore bool, age int64) {
	p := d.r.Pupils[i]
	return p.Score, p.HasScore, int64(p.Birth - d.minBirth())
}

func (d *dealer) minBirth() Date {
	if d.baseBirth == nil {
		m := d.r.Pupils[0].Birth
		for _, p := range d.r.Pupils {
			if p.Birth < m {
				m = p.Birth
			}
		}
		d.baseBirth = &m
	}
	return *d.baseBirth
}

func (s *classStats) add(score int64, hasScore bool, age int64, sign int64) {
	if hasScore {
		s.nScore += sign
		s.sumScore += sign * score
		s.sqScore += sign * score * score
	}
	s.nAge += sign
	s.sumAge += sign * age
	s.sqAge += sign * age * age
}

// meanSD returns a mean and standard deviation from exact sums.
func meanSD(n, sum, sq int64) (float64, float64) {
	if n == 0 {
		return 0, 0
	}
	fn := float64(n)
	m := float64(sum) / fn
	v := float64(sq)/fn - float64(m*m)
	if v < 0 {
		v = 0
	}
	return m, sqrt(v)
}

// term is one balance term: the class mean and spread measured against the
// year's, in units of the year's standard deviation.
func term(n, sum, sq int64, year struct{ mean, sd float64 }) float64 {
	if year.sd == 0 || n == 0 {
		return 0
	}
	m, sd := meanSD(n, sum, sq)
	dm := float64(m-year.mean) / year.sd
	ds := float64(sd-year.sd) / year.sd
	return float64(weightMean*float64(dm*dm)) + float64(weightSpread*float64(ds*ds))
}

func (d *dealer) cost(s *classStats) float64 {
	c := 0.0
	if d.p.BalanceScore {
		c += term(s.nScore, s.sumScore, s.sqScore, d.norm.score)
	}
	if d.p.BalanceAge {
		c += term(s.nAge, s.sumAge, s.sqAge, d.norm.age)
	}
	return c
}

// improve swaps pupils of the same gender and special status between
// classes while that lowers the objective. Sizes, gender and special
// counts, Together, Apart and Fixed are untouched by construction.
func (d *dealer) improve() {
	if !d.p.BalanceScore && !d.p.BalanceAge {
		return
	}
	d.stats = make([]classStats, d.k)
	var year classStats
	for i, c := range d.class {
		sc, has, age := d.pupilValues(i)
		d.stats[c].add(sc, has, age, 1)
		year.add(sc, has, age, 1)
	}
	d.norm.score.mean, d.norm.score.sd = meanSD(year.nScore, year.sumScore, year.sqScore)
	d.norm.age.mean, d.norm.age.sd = meanSD(year.nAge, year.sumAge, year.sqAge)

	// Swappable pupils per class and category (gender × special).
	single := d.singles()
	lists := make([][4][]int, d.k)
	pos := make([]int, d.n)
	cat := make([]int, d.n)
	var movable []int
	for i := 0; i < d.n; i++ {
		if !single[i] {
			continue
		}
		p := d.r.Pupils[i]
		if p.Gender == Male {
			cat[i] = 2
		}
		if p.Special {
			cat[i]++
		}
		c := d.class[i]
		pos[i] = len(lists[c][cat[i]])
		lists[c][cat[i]] = append(lists[c][cat[i]], i)
		movable = append(movable, i)
	}
	if len(movable) < 2 || d.k < 2 {
		return
	}
	costs := make([]float64, d.k)
	for c := range costs {
		costs[c] = d.cost(&d.stats[c])
	}
	for it := swapsPerPupil * d.n; it > 0; it-- {
		x := movable[d.rng.intn(len(movable))]
		a := d.class[x]
		b := d.rng.intn(d.k - 1)
		if b >= a {
			b++
		}
		other := lists[b][cat[x]]
		if len(other) == 0 {
			continue
		}
		y := other[d.rng.intn(len(other))]
		if d.swapClashes(x, b, y) || d.swapClashes(y, a, x) {
			continue
		}
		sa, sb := d.stats[a], d.stats[b]
		xs, xh, xa := d.pupilValues(x)
		ys, yh, ya := d.pupilValues(y)
		sa.add(xs, xh, xa, -1)
		sa.add(ys, yh, ya, 1)
		sb.add(ys, yh, ya, -1)
		sb.add(xs, xh, xa, 1)
		ca, cb := d.cost(&sa), d.cost(&sb)
		if float64(ca+cb)-float64(costs[a]+costs[b]) >= -minGain {
			continue
		}
		d.stats[a], d.stats[b], costs[a], costs[b] = sa, sb, ca, cb
		lists[a][cat[x]][pos[x]], lists[b][cat[y]][pos[y]] = y, x
		pos[x], pos[y] = pos[y], pos[x]
		d.class[x], d.class[y] = b, a
	}
}

// swapClashes reports whether moving x into class c, in exchange for y,
// would put two of x's Apart group together.
func (d *dealer) swapClashes(x, c, y int) bool {
	g := d.apartOf[x]
	if g < 0 {
		return false
	}
	for _, o := range d.apartGr[g] {
		if o != x && o != y && d.class[o] == c {
			return true
		}
	}
	return false
}
