package placement

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Algorithm names this version of the draw; it is recorded in every result.
const Algorithm = "qiao-placement-1"

// maxAttempts bounds the fresh deals tried when tight Apart and Together
// rules leave a pupil without a class; each attempt goes on drawing from
// the same generator.
const maxAttempts = 50

// Params are the choices made before the draw.
type Params struct {
	Classes      int
	BalanceScore bool // balance mean and spread of scores
	BalanceAge   bool // balance mean and spread of birth dates
}

func (p Params) canonical() string {
	b := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	return "classes=" + strconv.Itoa(p.Classes) + ";score=" + b(p.BalanceScore) + ";age=" + b(p.BalanceAge)
}

// Result is a finished draw and everything needed to verify it.
type Result struct {
	Algorithm    string
	InputDigest  string
	Params       Params
	Entropy      string // normalised
	Secret       string // revealed secret for commit-reveal, normalised; "" if none
	Seed         string // hex
	Class        []int  // class number (1..Classes) of each pupil, in roster order
	Teachers     []string
	OutputDigest string
}

// Draw places the roster's pupils into p.Classes classes. It refuses an
// impossible input with an *InputError.
func Draw(r *Roster, p Params, entropy, secret string) (*Result, error) {
	problems := append(checkRoster(r), checkGroups(r.Pupils)...)
	if len(problems) == 0 {
		problems = checkClasses(r, p.Classes)
	}
	if !utf8.ValidString(entropy) || !utf8.ValidString(secret) {
		problems = append(problems, Problem{Code: ProblemBadEntropy})
	}
	if len(problems) > 0 {
		return nil, &InputError{Problems: problems}
	}
	digest := Digest(r)
	seed := Seed(digest, p, entropy, secret)
	g := newRNG(seed)
	var d *dealer
	for attempt := 0; ; attempt++ {
		var err error
		if d, err = newDealer(r, p, g); err != nil {
			return nil, err
		}
		d.construct()
		err = d.placedAll()
		if err == nil {
			break
		}
		if attempt == maxAttempts-1 {
			return nil, err
		}
	}
	d.balanceGender()
	d.improve()
	res := &Result{
		Algorithm: Algorithm, InputDigest: digest, Params: p,
		Entropy: NormalizeEntropy(entropy), Secret: NormalizeEntropy(secret),
		Seed: hex.EncodeToString(seed[:]),
	}
	res.Class, res.Teachers = d.label(r.Teachers)
	res.OutputDigest = OutputDigest(r, res.Class, res.Teachers)
	return res, nil
}

// OutputDigest is the SHA-256 of the assignment in canonical form.
func OutputDigest(r *Roster, class []int, teachers []string) string {
	var b strings.Builder
	b.WriteString("qiao-placement-output-v1\n")
	for i, p := range r.Pupils {
		b.WriteString(p.ID + "\t" + strconv.Itoa(class[i]) + "\n")
	}
	b.WriteString("teachers\t" + strconv.Itoa(len(teachers)) + "\n")
	for i, t := range teachers {
		b.WriteString(strconv.Itoa(i+1) + "\t" + t + "\n")
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// unit is a set of pupils that must share a class: a Together group or
// one pupil.
type unit struct {
	members []int
	boys    int
	special int
	fixed   int // internal class, or -1
	apart   int // number of members with an Apart label
}

// dealer holds the state of one draw.
type dealer struct {
	r       *Roster
	p       Params
	rng     *rng
	k, n    int
	units   []unit
	class   []int // internal class of each pupil, -1 while unplaced
	base    int   // every class has base or base+1 pupils
	extra   int   // how many classes have base+1
	nLarge  int   // classes holding more than base pupils now
	size    []int
	boys    []int
	special []int
	apartOf []int   // apart group index of each pupil, -1 if none
	apartGr [][]int // members of each apart group
	nBoys   int
	nSpec   int
	// improvement
	stats     []classStats
	norm      norms
	baseBirth *Date
}

func newDealer(r *Roster, p Params, g *rng) (*dealer, error) {
	n, k := len(r.Pupils), p.Classes
	d := &dealer{r: r, p: p, rng: g, k: k, n: n,
		class: make([]int, n), size: make([]int, k), base: n / k, extra: n % k,
		boys: make([]int, k), special: make([]int, k), apartOf: make([]int, n)}
	for i := range d.class {
		d.class[i] = -1
	}
	labels := map[string]int{}
	for i, pu := range r.Pupils {
		d.apartOf[i] = -1
		if pu.Apart != "" {
			gi, ok := labels[pu.Apart]
			if !ok {
				gi = len(d.apartGr)
				labels[pu.Apart] = gi
				d.apartGr = append(d.apartGr, nil)
			}
			d.apartOf[i] = gi
			d.apartGr[gi] = append(d.apartGr[gi], i)
		}
		if pu.Gender == Male {
			d.nBoys++
		}
		if pu.Special {
			d.nSpec++
		}
	}
	// Units in canonical order: by their first member.
	together := map[string]int{}
	for i, pu := range r.Pupils {
		ui := -1
		if pu.Together != "" {
			if v, ok := together[pu.Together]; ok {
				ui = v
			} else {
				together[pu.Together] = len(d.units)
			}
		}
		if ui < 0 {
			ui = len(d.units)
			d.units = append(d.units, unit{fixed: -1})
		}
		u := &d.units[ui]
		u.members = append(u.members, i)
		if pu.Gender == Male {
			u.boys++
		}
		if pu.Special {
			u.special++
		}
		if pu.Apart != "" {
			u.apart++
		}
		if pu.Fixed > 0 {
			u.fixed = pu.Fixed - 1
		}
	}
	return d, d.checkFixed()
}

// checkFixed refuses fixed loads that break the size rule: no class may
// hold more than base+1 fixed pupils, and at most extra classes base+1.
func (d *dealer) checkFixed() error {
	fixed := make([]int, d.k)
	for _, u := range d.units {
		if u.fixed >= 0 {
			fixed[u.fixed] += len(u.members)
		}
	}
	full := 0
	var problems []Problem
	for c, f := range fixed {
		if f > d.base {
			full++
		}
		if f > d.base+1 || f > d.base && full > d.extra {
			problems = append(problems, Problem{Code: ProblemFixedOverflow, Args: []any{c + 1, f, d.base + min(1, d.extra)}})
		}
	}
	if len(problems) > 0 {
		return &InputError{Problems: problems}
	}
	return nil
}

// limit is the most pupils class c may hold now: base+1 while fewer than
// extra classes have reached it (or c already has), else base.
func (d *dealer) limit(c int) int {
	if d.size[c] > d.base || d.nLarge < d.extra {
		return d.base + 1
	}
	return d.base
}

// construct deals every unit to a class: fixed units first, then larger
// units, units with Apart members, special pupils, boys, girls; in random
// order within each of those tiers.
func (d *dealer) construct() {
	order := make([]int, len(d.units))
	for i := range order {
		order[i] = i
	}
	d.rng.shuffle(order)
	tier := func(u unit) [5]int {
		male := 0
		if 2*u.boys >= len(u.members) {
			male = 1
		}
		fixed := 0
		if u.fixed >= 0 {
			fixed = 1
		}
		return [5]int{fixed, len(u.members), u.apart, u.special, male}
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := tier(d.units[order[i]]), tier(d.units[order[j]])
		for x := range a {
			if a[x] != b[x] {
				return a[x] > b[x]
			}
		}
		return false
	})
	for _, ui := range order {
		u := d.units[ui]
		c := u.fixed
		if c < 0 {
			c = d.bestClass(u)
		}
		if c < 0 {
			c = d.makeRoom(u)
		}
		if c >= 0 {
			d.put(u, c)
		}
	}
}

// makeRoom handles a unit that fits nowhere: it finds a class u does not
// clash with and moves single, unfixed pupils out of it, lowest index
// first, into the first classes with room where they clash with no one.
// Classes are tried from a random starting point. It returns the class, or
// -1 when no such moves exist.
func (d *dealer) makeRoom(u unit) int {
	start := d.rng.intn(d.k)
	s := len(u.members)
	single := d.singles()
	for j := 0; j < d.k; j++ {
		c := (start + j) % d.k
		if d.clashes(u.members, c) {
			continue
		}
		type move struct{ pupil, to int }
		var done []move
		for i := 0; i < d.n && d.size[c]+s > d.limit(c); i++ {
			if d.class[i] != c || !single[i] {
				continue
			}
			for to := 0; to < d.k; to++ {
				if to != c && d.size[to]+1 <= d.limit(to) && !d.clashes([]int{i}, to) {
					d.move(i, c, to)
					done = append(done, move{i, to})
					break
				}
			}
		}
		if d.size[c]+s <= d.limit(c) {
			return c
		}
		for k := len(done) - 1; k >= 0; k-- {
			d.move(done[k].pupil, done[k].to, c)
		}
	}
	return -1
}

// singles marks pupils who form a unit alone and are not fixed.
func (d *dealer) singles() []bool {
	single := make([]bool, d.n)
	for _, u := range d.units {
		if len(u.members) == 1 && u.fixed < 0 {
			single[u.members[0]] = true
		}
	}
	return single
}

// resize changes the size of class c by delta, counting large classes.
func (d *dealer) resize(c, delta int) {
	was := d.size[c] > d.base
	d.size[c] += delta
	if now := d.size[c] > d.base; now != was {
		if now {
			d.nLarge++
		} else {
			d.nLarge--
		}
	}
}

// move takes pupil i from class from to class to.
func (d *dealer) move(i, from, to int) {
	p := d.r.Pupils[i]
	d.class[i] = to
	d.resize(from, -1)
	d.resize(to, 1)
	if p.Gender == Male {
		d.boys[from]--
		d.boys[to]++
	}
	if p.Special {
		d.special[from]--
		d.special[to]++
	}
}

// bestClass picks the class for u: among classes with room and no Apart
// clash, the fewest special pupils (if u has any), then the fewest pupils
// of u's majority gender, then the fewest pupils; ties go to the first such class from a random starting point.
func (d *dealer) bestClass(u unit) int {
	start := d.rng.intn(d.k)
	best := -1
	var bestKey [3]int64
	s := len(u.members)
	male := 2*u.boys >= s
	for j := 0; j < d.k; j++ {
		c := (start + j) % d.k
		if d.size[c]+s > d.limit(c) || d.clashes(u.members, c) {
			continue
		}
		var key [3]int64
		if u.special > 0 {
			key[0] = int64(d.special[c])
		}
		key[1] = int64(d.size[c] - d.boys[c])
		if male {
			key[1] = int64(d.boys[c])
		}
		key[2] = int64(d.size[c])
		if best < 0 || less(key, bestKey) {
			best, bestKey = c, key
		}
	}
	return best
}

func less(a, b [3]int64) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// clashes reports whether putting members into class c would put two
// pupils of one Apart group together.
func (d *dealer) clashes(members []int, c int) bool {
	for _, m := range members {
		g := d.apartOf[m]
		if g < 0 {
			continue
		}
		for _, o := range d.apartGr[g] {
			if o != m && d.class[o] == c {
				return true
			}
		}
	}
	return false
}

func (d *dealer) put(u unit, c int) {
	for _, m := range u.members {
		d.class[m] = c
	}
	d.resize(c, len(u.members))
	d.boys[c] += u.boys
	d.special[c] += u.special
}

// placedAll fails when the greedy deal left a pupil without a class.
func (d *dealer) placedAll() error {
	for i, c := range d.class {
		if c < 0 {
			p := d.r.Pupils[i]
			return &InputError{Problems: []Problem{{Row: p.Row, Code: ProblemUnplaceable, Args: []any{p.ID}}}}
		}
	}
	return nil
}

// label maps internal classes to class numbers: classes holding fixed
// pupils keep their number, the others get the remaining numbers in random
// order; then head teachers are drawn for classes 1..k.
func (d *dealer) label(teachers []string) ([]int, []string) {
	bound := make([]bool, d.k)
	for _, u := range d.units {
		if u.fixed >= 0 {
			bound[u.fixed] = true
		}
	}
	var free []int
	for c := 0; c < d.k; c++ {
		if !bound[c] {
			free = append(free, c)
		}
	}
	nums := append([]int(nil), free...)
	d.rng.shuffle(nums)
	number := make([]int, d.k)
	for c := range number {
		number[c] = c + 1
	}
	for i, c := range free {
		number[c] = nums[i] + 1
	}
	out := make([]int, d.n)
	for i, c := range d.class {
		out[i] = number[c]
	}
	var drawn []string
	if len(teachers) > 0 {
		idx := make([]int, len(teachers))
		for i := range idx {
			idx[i] = i
		}
		d.rng.shuffle(idx)
		for j := 0; j < d.k; j++ {
			drawn = append(drawn, teachers[idx[j]])
		}
	}
	return out, drawn
}

// sqrt is IEEE 754 square root (exactly rounded, so the same everywhere).
func sqrt(x float64) float64 { return math.Sqrt(x) }

// balanceGender evens out boys after the deal, where Together, Apart and
// Fixed pushed some classes off their share: while the class furthest
// above its proportional share of boys (by boys·n − B·size, lowest class on
// ties) is more than one boy above one below, it swaps a single, unfixed
// boy of the first with a girl of the second who has the same special
// status and breaks no Apart rule (the pair with the lowest pupil indexes;
// if there is none, the next pair of classes); it stops when no swap helps.
func (d *dealer) balanceGender() {
	single := d.singles()
	members := make([][]int, d.k)
	for i, c := range d.class {
		if single[i] {
			members[c] = append(members[c], i)
		}
	}
	dev := func(c int) int64 { return int64(d.boys[c])*int64(d.n) - int64(d.nBoys)*int64(d.size[c]) }
	order := make([]int, d.k)
	for round := 0; round < d.n; round++ {
		for c := range order {
			order[c] = c
		}
		sort.SliceStable(order, func(i, j int) bool { return dev(order[i]) > dev(order[j]) })
		if !d.swapSomeGender(members, order, dev) {
			return
		}
	}
}

// swapSomeGender makes the first helpful boy-girl swap, trying classes from
// the most boys above share down, each against classes from the fewest up.
func (d *dealer) swapSomeGender(members [][]int, order []int, dev func(int) int64) bool {
	for _, hi := range order {
		for j := len(order) - 1; j >= 0; j-- {
			lo := order[j]
			if dev(hi)-dev(lo) <= int64(d.n) {
				break
			}
			if d.swapGender(members, hi, lo) {
				return true
			}
		}
	}
	return false
}

// swapGender swaps a boy of class hi with a girl of class lo; see balanceGender.
func (d *dealer) swapGender(members [][]int, hi, lo int) bool {
	for xi, x := range members[hi] {
		px := d.r.Pupils[x]
		if px.Gender != Male {
			continue
		}
		for yi, y := range members[lo] {
			py := d.r.Pupils[y]
			if py.Gender != Female || py.Special != px.Special || d.swapClashes(x, lo, y) || d.swapClashes(y, hi, x) {
				continue
			}
			d.move(x, hi, lo)
			d.move(y, lo, hi)
			members[hi][xi], members[lo][yi] = y, x
			sort.Ints(members[hi])
			sort.Ints(members[lo])
			return true
		}
	}
	return false
}
