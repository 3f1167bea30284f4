package syncproto

import (
	"regexp"
	"testing"
)

func TestIsUUIDAgreesWithTheRegexp(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	for _, s := range []string{
		"01a21ce1-d7fc-7542-956c-f53746d73d1f", "01A21CE1-D7FC-7542-956C-F53746D73D1F",
		"01a21ce1-d7fc-7542-956c-f53746d73d1", "01a21ce1-d7fc-7542-956c-f53746d73d1ff",
		"01a21ce1xd7fc-7542-956c-f53746d73d1f", "01a21ce1-d7fc-7542-956c-f53746d73d1g",
		"", "district", "01a21ce1-d7fc-7542-956c-f53746d73d1\n",
	} {
		if IsUUID(s) != re.MatchString(s) {
			t.Errorf("IsUUID(%q) = %v", s, IsUUID(s))
		}
	}
}

func FuzzIsUUID(f *testing.F) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	f.Add("01a21ce1-d7fc-7542-956c-f53746d73d1f")
	f.Fuzz(func(t *testing.T, s string) {
		if IsUUID(s) != re.MatchString(s) {
			t.Fatalf("IsUUID(%q) = %v, the regexp says %v", s, IsUUID(s), re.MatchString(s))
		}
	})
}
