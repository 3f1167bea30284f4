package placement

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// NormalizeEntropy puts typed entropy in its canonical form: Unicode NFKC
// (so full-width ASCII folds to half-width), runs of white space as one space,
// trimmed. So "１２ 34" typed on a Chinese IME and "12 34" give one seed.
func NormalizeEntropy(s string) string {
	s = norm.NFKC.String(s)
	return strings.Join(strings.Fields(s), " ")
}

// Commitment is the hash a school publishes before the ceremony to bind
// itself to a secret it reveals at the draw.
func Commitment(secret string) string {
	sum := sha256.Sum256([]byte("qiao-placement-commit-v1\n" + NormalizeEntropy(secret)))
	return hex.EncodeToString(sum[:])
}

// Seed derives the draw's 32-byte seed from the input digest, the
// parameters, the public entropy and the revealed secret (may be empty).
func Seed(inputDigest string, p Params, entropy, secret string) [32]byte {
	return sha256.Sum256([]byte("qiao-placement-seed-v1\n" + inputDigest + "\n" + p.canonical() + "\n" +
		NormalizeEntropy(entropy) + "\n" + NormalizeEntropy(secret) + "\n"))
}
