package school

import (
	"context"
	"errors"
	"testing"

	"qiao/store"
)

func newService(t *testing.T) (*Service, *store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return NewService(st), st
}

func TestFirstRunHasNoSchool(t *testing.T) {
	sv, _ := newService(t)
	if _, ok, err := sv.Current(context.Background()); ok || err != nil {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
}

func TestSaveAndUpdateSchoolIsSyncedRecord(t *testing.T) {
	ctx := context.Background()
	sv, st := newService(t)
	s, err := sv.Save(ctx, School{Name: "  城关一小 ", Code: "123", Rural: false})
	if err != nil {
		t.Fatal(err)
	}
	s.Rural = true
	if _, err := sv.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	got, ok, err := sv.Current(ctx)
	if !ok || err != nil || got.Name != "城关一小" || !got.Rural || got.ID != s.ID {
		t.Fatalf("got %+v ok=%v err=%v", got, ok, err)
	}
	var n int
	st.DB.QueryRow(`SELECT count(*) FROM changes WHERE tbl='schools' AND row_id=? AND school_id=?`, s.ID, s.ID).Scan(&n)
	if n != 2 {
		t.Fatalf("%d change-log entries, want 2", n)
	}
}

func TestSaveRefusesEmptyName(t *testing.T) {
	sv, _ := newService(t)
	if _, err := sv.Save(context.Background(), School{Name: "   "}); !errors.Is(err, ErrNoName) {
		t.Fatalf("got %v", err)
	}
}

func TestUserRoundTripAndRoleCheck(t *testing.T) {
	ctx := context.Background()
	sv, _ := newService(t)
	if err := sv.SaveUser(ctx, User{Name: "李校长", Role: Principal}); err != nil {
		t.Fatal(err)
	}
	u, _ := sv.User(ctx)
	if u.Name != "李校长" || u.Role != Principal {
		t.Fatalf("got %+v", u)
	}
	if err := sv.SaveUser(ctx, User{Name: "x", Role: "janitor"}); !errors.Is(err, ErrRole) {
		t.Fatalf("got %v", err)
	}
}

func TestUseSample(t *testing.T) {
	ctx := context.Background()
	sv, _ := newService(t)
	s, err := sv.UseSample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cur, ok, _ := sv.Current(ctx)
	u, _ := sv.User(ctx)
	if !ok || cur.ID != s.ID || !cur.Sample || cur.Name != SampleSchool.Name || u != SampleUser {
		t.Fatalf("school %+v user %+v", cur, u)
	}
}
