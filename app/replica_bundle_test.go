package app

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qiao/district"
	"qiao/i18n"
	"qiao/school"
	"qiao/store"
)

// TestReplicaBundleCommands runs `qiao replica export-bundle` and
// `import-bundle` against a real district server in this process.
func TestReplicaBundleCommands(t *testing.T) {
	ctx := context.Background()
	srv, err := district.New(district.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	t.Cleanup(func() { cancel(); <-done; srv.Close() })
	sid, err := srv.DB().AddSchool(ctx, "A校", "")
	if err != nil {
		t.Fatal(err)
	}
	code, err := srv.DB().IssueCode(ctx, sid, district.RoleTeacher, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Setenv("QIAO_DATA", dir)
	st, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := school.NewService(st).Save(ctx, school.School{Name: "本校"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if c, out, errOut := run(t, "replica", "enrol", "--server", "https://"+ln.Addr().(*net.TCPAddr).String(), "--code", code,
		"--fingerprint", srv.Fingerprint()); c != 0 || !strings.HasSuffix(strings.TrimSpace(out), " "+i18n.T("role.teacher")) {
		t.Fatalf("enrol, want the role's name: %d %s %s", c, out, errOut)
	}

	push := filepath.Join(t.TempDir(), "push.qiao")
	c, out, errOut := run(t, "replica", "export-bundle", push)
	if c != 0 || !strings.Contains(out, "wrote "+push) {
		t.Fatalf("export-bundle: %d %q %q", c, out, errOut)
	}
	imp, err := srv.DB().ImportBundle(ctx, push, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ret := filepath.Join(t.TempDir(), "return.qiao")
	if _, err := srv.DB().WriteReturnBundle(ctx, imp.Device, imp.Header.PulledThrough, ret, time.Now()); err != nil {
		t.Fatal(err)
	}
	if c, out, errOut := run(t, "replica", "import-bundle", ret); c != 0 || !strings.Contains(out, "imported the district's return bundle") {
		t.Fatalf("import-bundle: %d %q %q", c, out, errOut)
	}
	// A push bundle is refused by the app, with the reason.
	if c, _, errOut := run(t, "replica", "import-bundle", push); c != 1 || !strings.Contains(errOut, "push bundle") {
		t.Fatalf("import of a push bundle: %d %q", c, errOut)
	}
	if c, _, errOut := run(t, "replica", "export-bundle"); c != 2 || !strings.Contains(errOut, "export-bundle FILE") {
		t.Fatalf("export-bundle without a file: %d %q", c, errOut)
	}
}
