package relay

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestAboutReachesJoiners: the lesson's About, given at opening, is in the
// snapshot of the host and of every remote, early or late.
func TestAboutReachesJoiners(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := startRelay(t, NetConfig{})
	about := About{LessonID: "0b6f6f3e-2d4a-4c4e-9a8e-1f2a3b4c5d6e", Title: "分数的初步认识", Subject: "数学", Grade: 3,
		SchoolID: "school-a", SchoolName: "城关第一小学"}
	info, err := r.OpenAbout("", &about)
	if err != nil {
		t.Fatal(err)
	}
	about.Title = "changed after opening" // the relay keeps its own copy
	api := loopbackAPI(t)
	host := join(t, ctx, api, r.URL, info.Code, RoleHost, "主讲", info.HostKey)
	early := join(t, ctx, api, r.URL, info.Code, RoleRemote, "远端1", "")
	for _, m := range []*member{host, early} {
		if err := m.WaitSynced(ctx); err != nil {
			t.Fatal(err)
		}
	}
	late := join(t, ctx, api, r.URL, info.Code, RoleRemote, "远端2", "")
	if err := late.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*member{host, early, late} {
		a := m.View().About
		if a == nil || a.LessonID != "0b6f6f3e-2d4a-4c4e-9a8e-1f2a3b4c5d6e" || a.Title != "分数的初步认识" || a.Subject != "数学" ||
			a.Grade != 3 || a.SchoolID != "school-a" || a.SchoolName != "城关第一小学" {
			t.Errorf("%s sees about %+v", m.ID, a)
		}
	}

	// A lesson opened without About says nothing.
	plain, _ := r.Open("")
	m := join(t, ctx, api, r.URL, plain.Code, RoleRemote, "远端3", "")
	if err := m.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	if m.View().About != nil {
		t.Errorf("about %+v for a lesson opened without one", m.View().About)
	}
}

// TestAboutRefused: a bad About opens nothing.
func TestAboutRefused(t *testing.T) {
	r := startRelay(t, NetConfig{})
	ok := About{LessonID: "l1", Subject: "数学", Grade: 3, SchoolID: "s1"}
	bad := map[string]func(a *About){
		"no lesson id":    func(a *About) { a.LessonID = "" },
		"lesson id chars": func(a *About) { a.LessonID = "a b" },
		"long lesson id":  func(a *About) { a.LessonID = strings.Repeat("a", MaxAboutIDBytes+1) },
		"no school":       func(a *About) { a.SchoolID = "" },
		"no subject":      func(a *About) { a.Subject = "" },
		"grade 13":        func(a *About) { a.Grade = 13 },
		"grade -1":        func(a *About) { a.Grade = -1 },
		"long title":      func(a *About) { a.Title = strings.Repeat("长", MaxAboutTextBytes) },
		"control in name": func(a *About) { a.SchoolName = "a\x00b" },
		"bad utf-8 title": func(a *About) { a.Title = "\xff" },
	}
	for name, change := range bad {
		a := ok
		change(&a)
		if _, err := r.OpenAbout("12345678", &a); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
	if _, err := r.OpenAbout("12345678", &ok); err != nil {
		t.Fatalf("a good about after the refusals: %v", err)
	}
}
