package placement

import (
	"encoding/binary"
	"math/bits"
)

// rng is xoshiro256** (Blackman and Vigna), seeded with the four
// little-endian 64-bit words of the seed. docs/placement-spec.md §4.
type rng struct{ s [4]uint64 }

func newRNG(seed [32]byte) *rng {
	r := &rng{}
	for i := range r.s {
		r.s[i] = binary.LittleEndian.Uint64(seed[8*i:])
	}
	if r.s == [4]uint64{} {
		r.s[0] = 1 // the all-zero state is a fixed point
	}
	return r
}

func (r *rng) next() uint64 {
	s := &r.s
	result := bits.RotateLeft64(s[1]*5, 7) * 9
	t := s[1] << 17
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = bits.RotateLeft64(s[3], 45)
	return result
}

// intn returns a uniform integer in [0, n) by rejection: draws below
// 2^64 - (2^64 mod n) are taken mod n, others are drawn again.
func (r *rng) intn(n int) int {
	if n <= 0 {
		panic("placement: intn of a non-positive number")
	}
	un := uint64(n)
	limit := -(-un % un) // 2^64 - (2^64 mod n), as 0 when n is a power of two dividing 2^64
	for {
		x := r.next()
		if limit == 0 || x < limit {
			return int(x % un)
		}
	}
}

// shuffle permutes idx with Fisher-Yates, from the last position down.
func (r *rng) shuffle(idx []int) {
	for i := len(idx) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		idx[i], idx[j] = idx[j], idx[i]
	}
}
