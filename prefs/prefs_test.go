package prefs

import (
	"context"
	"testing"

	"qiao/store"
)

func TestLoadDefaultsThenRoundTrip(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, _ := Load(ctx, st)
	if p != Defaults {
		t.Fatalf("first load %+v, want defaults", p)
	}
	want := Prefs{Language: "en", Theme: Contrast, FontScale: 1.3, WindowW: 1280.5, WindowH: 720, LastSection: "settings"}
	if err := Save(ctx, st, want); err != nil {
		t.Fatal(err)
	}
	if got, _ := Load(ctx, st); got != want {
		t.Fatalf("got %+v want %+v", got, want)
	}
	st.SetSetting(ctx, keys.scale, "garbage")
	if got, _ := Load(ctx, st); got.FontScale != Defaults.FontScale {
		t.Fatalf("unreadable scale gave %v", got.FontScale)
	}
}
