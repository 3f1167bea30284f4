package placement

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// Canonical returns the canonical form of the roster (docs/placement-spec.md
// §2): a version line, one tab-separated line per pupil in ID order, then
// the sorted head teachers. Every field is already cleaned on import.
func Canonical(r *Roster) []byte {
	var b strings.Builder
	b.WriteString("qiao-placement-input-v1\n")
	b.WriteString("pupils\t" + strconv.Itoa(len(r.Pupils)) + "\n")
	for _, p := range r.Pupils {
		special := "0"
		if p.Special {
			special = "1"
		}
		fixed := ""
		if p.Fixed > 0 {
			fixed = strconv.Itoa(p.Fixed)
		}
		b.WriteString(strings.Join([]string{p.ID, p.Name, string(p.Gender), p.Birth.String(),
			p.ScoreString(), p.Together, p.Apart, special, fixed}, "\t"))
		b.WriteByte('\n')
	}
	b.WriteString("teachers\t" + strconv.Itoa(len(r.Teachers)) + "\n")
	for _, t := range r.Teachers {
		b.WriteString(t + "\n")
	}
	return []byte(b.String())
}

// Digest is the SHA-256 of the canonical form, in lower-case hex.
func Digest(r *Roster) string {
	sum := sha256.Sum256(Canonical(r))
	return hex.EncodeToString(sum[:])
}
