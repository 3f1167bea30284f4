package placement

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Algorithm names this version of the draw; it is recorded in every result.
const Algorithm = "qiao-placement-1"

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
	if problems := checkClasses(r, p.Classes); len(problems) > 0 {
		return nil, &InputError{problems}
	}
	digest := Digest(r)
	seed := Seed(digest, p, entropy, secret)
	d, err := newDealer(r, p, newRNG(seed))
	if err != nil {
		return nil, err
	}
	d.construct()
	if err := d.placedAll(); err != nil {
		return nil, err
	}
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
	target  []int // target size of each class
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
		class: make([]int, n), target: make([]int, k), size: make([]int, k),
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
	return d, d.setTargets()
}

// setTargets gives n mod k classes one pupil more than the others: first
// those that fixed pupils fill beyond the base size, then at random.
func (d *dealer) setTargets() error {
	base, extra := d.n/d.k, d.n%d.k
	fixed := make([]int, d.k)
	for _, u := range d.units {
		if u.fixed >= 0 {
			fixed[u.fixed] += len(u.members)
		}
	}
	order := make([]int, d.k)
	for i := range order {
		order[i] = i
	}
	d.rng.shuffle(order)
	sort.SliceStable(order, func(i, j int) bool { return fixed[order[i]] > fixed[order[j]] })
	for rank, c := range order {
		d.target[c] = base
		if rank < extra {
			d.target[c]++
		}
		if fixed[c] > d.target[c] {
			return &InputError{[]Problem{{Code: ProblemFixedOverflow, Args: []any{c + 1, fixed[c], d.target[c]}}}}
		}
	}
	return nil
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
		if c >= 0 {
			d.put(u, c)
		}
	}
}

// bestClass picks the class for u: among classes with room and no Apart
// clash, the fewest special pupils (if u has any), then the largest
// shortfall of u's majority gender against its proportional share, then the
// most room; ties go to the first such class from a random starting point.
func (d *dealer) bestClass(u unit) int {
	start := d.rng.intn(d.k)
	best := -1
	var bestKey [3]int64
	s := len(u.members)
	male := 2*u.boys >= s
	for j := 0; j < d.k; j++ {
		c := (start + j) % d.k
		if d.size[c]+s > d.target[c] || d.clashes(u.members, c) {
			continue
		}
		var key [3]int64
		if u.special > 0 {
			key[0] = int64(d.special[c])
		}
		t := int64(d.target[c])
		if male {
			key[1] = int64(d.boys[c])*int64(d.n) - int64(d.nBoys)*t
		} else {
			key[1] = int64(d.size[c]-d.boys[c])*int64(d.n) - int64(d.n-d.nBoys)*t
		}
		key[2] = int64(d.size[c]) - t
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
	d.size[c] += len(u.members)
	d.boys[c] += u.boys
	d.special[c] += u.special
}

// placedAll fails when the greedy deal left a pupil without a class.
func (d *dealer) placedAll() error {
	for i, c := range d.class {
		if c < 0 {
			p := d.r.Pupils[i]
			return fmt.Errorf("placement: could not place %s (row %d) under the Apart and Together rules; split the largest Apart group or add a class", p.ID, p.Row)
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
