package store

import (
	"testing"
	"time"
)

func TestClockMonotonicWhenWallGoesBack(t *testing.T) {
	wall := time.UnixMilli(1_800_000_000_000)
	c := NewClock(0)
	c.now = func() time.Time { return wall }
	a := c.Now()
	wall = wall.Add(-time.Hour) // the PC's clock is set back
	b := c.Now()
	if b <= a {
		t.Fatalf("stamp went backwards: %v then %v", a, b)
	}
	if b.Wall() != a.Wall() || b.Logical() != a.Logical()+1 {
		t.Fatalf("expected logical tick, got %v then %v", a, b)
	}
}

func TestClockObserveOrdersAfterRemote(t *testing.T) {
	c := NewClock(0)
	remote := makeHLC(time.Now().Add(time.Hour).UnixMilli(), 7)
	c.Observe(remote)
	if got := c.Now(); got <= remote {
		t.Fatalf("local stamp %v not after observed %v", got, remote)
	}
}

func TestClockCounterOverflowBorrowsMillisecond(t *testing.T) {
	wall := time.UnixMilli(1_800_000_000_000)
	c := NewClock(makeHLC(wall.UnixMilli(), 1<<16-1))
	c.now = func() time.Time { return wall }
	got := c.Now()
	if got.Wall().UnixMilli() != wall.UnixMilli()+1 || got.Logical() != 0 {
		t.Fatalf("got %v", got)
	}
}

func TestWinsIsTotalAndSymmetric(t *testing.T) {
	if !Wins(2, "a", 1, "z") || Wins(1, "z", 2, "a") {
		t.Fatal("higher stamp must win")
	}
	if !Wins(5, "b", 5, "a") || Wins(5, "a", 5, "b") {
		t.Fatal("equal stamps: higher origin must win, on both sides")
	}
}
