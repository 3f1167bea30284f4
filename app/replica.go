package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"qiao/district"
	"qiao/i18n"
	"qiao/messages"
	"qiao/replica"
	"qiao/store"
)

// runReplica runs `qiao replica enrol|sync|status|export-bundle|import-bundle`.
func runReplica(ctx context.Context, dir string, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, i18n.T("replica.cli.usage"))
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, i18n.T("cli.error", messages.Error(err)))
		return 1
	}
	switch args[0] {
	case "enrol":
		fs := newFlags("replica enrol", stderr)
		server := fs.String("server", "", i18n.T("replica.cli.flag.server"))
		code := fs.String("code", "", i18n.T("replica.cli.flag.code"))
		name := fs.String("name", "", i18n.T("replica.cli.flag.name"))
		pin := fs.String("fingerprint", "", i18n.T("replica.cli.flag.fingerprint"))
		if fs.Parse(args[1:]) != nil || *server == "" || *code == "" || fs.NArg() > 0 {
			fmt.Fprint(stderr, i18n.T("replica.cli.usage"))
			return 2
		}
		if *name == "" {
			*name, _ = os.Hostname()
		}
		base, err := replica.NormalizeServer(*server)
		if err != nil {
			return fail(err)
		}
		if *pin == "" && base[:8] == "https://" {
			// Trust on first use: show what is pinned, so the user can
			// compare it with what the district administrator printed.
			fp, err := district.FetchFingerprint(ctx, base[8:])
			if err != nil {
				return fail(err)
			}
			*pin = fp
			fmt.Fprintln(stdout, i18n.T("replica.cli.fingerprint", fp))
		}
		st, err := store.Open(ctx, dir)
		if err != nil {
			return fail(err)
		}
		defer st.Close()
		id, err := replica.Enrol(ctx, st, replica.EnrolOptions{Server: base, Code: *code, DeviceName: *name, Fingerprint: *pin})
		if err != nil {
			return fail(err)
		}
		fmt.Fprintln(stdout, i18n.T("replica.cli.enrolled", id.Server, id.SchoolID, id.DeviceID, i18n.T("role."+id.Role)))
		return 0
	case "sync":
		st, err := store.Open(ctx, dir)
		if err != nil {
			return fail(err)
		}
		defer st.Close()
		r, err := replica.Open(ctx, st)
		if err != nil {
			return fail(err)
		}
		if r.Files, err = openFiles(dir); err != nil {
			return fail(err)
		}
		rep, err := r.Sync(ctx)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintln(stdout, i18n.T("replica.cli.synced", rep.Pulled, rep.Applied, rep.Pushed, rep.Conflicts, rep.Took.Round(time.Millisecond).String()))
		return 0
	case "export-bundle", "import-bundle":
		if len(args) != 2 || args[1] == "" || args[1][0] == '-' {
			fmt.Fprint(stderr, i18n.T("replica.cli.usage"))
			return 2
		}
		st, err := store.Open(ctx, dir)
		if err != nil {
			return fail(err)
		}
		defer st.Close()
		if args[0] == "export-bundle" {
			h, err := replica.ExportBundle(ctx, st, args[1])
			if err != nil {
				return fail(err)
			}
			fmt.Fprintln(stdout, i18n.T("replica.cli.exported", args[1], h.Changes))
			return 0
		}
		rep, err := replica.ImportBundle(ctx, st, args[1])
		if errors.Is(err, replica.ErrNoServerKey) {
			// Enrolled before bundles existed: fetch the district's key once.
			r, oerr := replica.Open(ctx, st)
			if oerr == nil {
				_, oerr = r.FetchServerKey(ctx)
			}
			if oerr == nil {
				rep, err = replica.ImportBundle(ctx, st, args[1])
			}
		}
		if err != nil {
			return fail(err)
		}
		fmt.Fprintln(stdout, i18n.T("replica.cli.imported", args[1], rep.Received, rep.Applied))
		return 0
	case "status":
		st, err := store.Open(ctx, dir)
		if err != nil {
			return fail(err)
		}
		defer st.Close()
		s, err := replica.ReadStatus(ctx, st)
		if err != nil {
			return fail(err)
		}
		if !s.Enrolled {
			fmt.Fprintln(stdout, i18n.T("replica.cli.not_enrolled"))
			return 0
		}
		last := i18n.T("status.never_synced")
		if !s.LastSync.IsZero() {
			last = s.LastSync.Local().Format("2006-01-02 15:04")
		}
		fmt.Fprintln(stdout, i18n.T("replica.cli.status", s.Server, s.SchoolID, last, s.Pending, s.Conflicts))
		if s.LastError != "" {
			fmt.Fprintln(stdout, i18n.T("replica.cli.last_error", s.LastError))
		}
		return 0
	}
	fmt.Fprint(stderr, i18n.T("replica.cli.usage"))
	return 2
}
