package district

import (
	"crypto/ed25519"
	"encoding/base64"
	"net/http"
	"testing"
	"time"
)

func TestWrongCodesAreThrottledPerAddress(t *testing.T) {
	f := newFixture(t, backendConfig(t, "sqlite"))
	pub, _, _ := ed25519.GenerateKey(nil)
	pk := base64.StdEncoding.EncodeToString(pub)
	good := f.code(f.school, RoleTeacher, time.Hour)
	for i := 0; i < enrolFailures; i++ {
		var e APIError
		if st := f.post("/v1/enrol", EnrolRequest{Code: "ABCDEFGHJKMN", PublicKey: pk, DeviceName: "x"}, &e); st != http.StatusForbidden {
			t.Fatalf("guess %d: %d %+v", i+1, st, e)
		}
	}
	// Now even the right code is refused from this address, and not spent.
	var e APIError
	if st := f.post("/v1/enrol", EnrolRequest{Code: good, PublicKey: pk, DeviceName: "x"}, &e); st != http.StatusTooManyRequests || e.Code != "too_many_attempts" {
		t.Fatalf("after %d wrong codes: %d %+v, want 429 too_many_attempts", enrolFailures, st, e)
	}
	// Once the window has passed, the right code works.
	f.s.now = func() time.Time { return time.Now().Add(enrolWindow + time.Second) }
	if st := f.post("/v1/enrol", EnrolRequest{Code: good, PublicKey: pk, DeviceName: "x"}, &e); st != http.StatusOK {
		t.Fatalf("after the window: %d %+v", st, e)
	}
}

func TestThrottleIsPerAddressAndForgets(t *testing.T) {
	th := newThrottle(2, time.Minute)
	now := time.Now()
	th.fail("10.0.0.1:5000", now)
	th.fail("10.0.0.1:5001", now) // same address, another port
	if no, _ := th.blocked("10.0.0.1:6000", now); !no {
		t.Fatal("two failures did not block the address")
	}
	if no, _ := th.blocked("10.0.0.2:5000", now); no {
		t.Fatal("another address is blocked")
	}
	if no, _ := th.blocked("10.0.0.1:6000", now.Add(time.Minute)); no {
		t.Fatal("the block outlived its window")
	}
	if len(th.failures) != 0 {
		t.Fatalf("expired failures kept: %v", th.failures)
	}
}
