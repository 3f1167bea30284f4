package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"qiao/district"
)

// dbPlace is where a command finds the district database: PostgreSQL at
// url when set, else SQLite in the data directory dir.
type dbPlace struct {
	dir string // --data
	url string // --db
}

// dbFlag defines --db, whose default is $QIAO_DISTRICT_DB.
func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", os.Getenv(envDB), "PostgreSQL URL")
}

// checkDB refuses a --db that is not a PostgreSQL URL.
func checkDB(name, url string) error {
	if url != "" && !district.IsPostgresURL(url) {
		return fmt.Errorf("%s: --db (or $%s) must be a postgres://user@host/database URL, or empty for SQLite in --data", name, envDB)
	}
	return nil
}

// adminFlags parses the flags of an admin command; it always has --data
// and --db, and no other argument. It returns the exit code to use when ok
// is false.
func adminFlags(name string, args []string, stdout, stderr io.Writer, define func(fs *flag.FlagSet)) (data dbPlace, code int, ok bool) {
	data, _, code, ok = parseAdmin(name, args, stdout, stderr, define, "")
	return data, code, ok
}

// adminFlagsArg is adminFlags for a command of one positional argument
// (a file or folder), before or after the flags; missing says what to give
// when there is not exactly one.
func adminFlagsArg(name string, args []string, stdout, stderr io.Writer, define func(fs *flag.FlagSet), missing string) (data dbPlace, arg string, code int, ok bool) {
	return parseAdmin(name, args, stdout, stderr, define, missing)
}

// parseAdmin parses an admin command's flags and, when missing is not "",
// its one positional argument.
func parseAdmin(name string, args []string, stdout, stderr io.Writer, define func(fs *flag.FlagSet), missing string) (data dbPlace, arg string, code int, ok bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	d := fs.String("data", defaultDataDir, "data directory")
	url := dbFlag(fs)
	if define != nil {
		define(fs)
	}
	var rest []string
	var err error
	if missing == "" {
		err = fs.Parse(args)
		rest = fs.Args()
	} else {
		rest, err = parseAround(fs, args)
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return dbPlace{}, "", exitOK, false
		}
		return dbPlace{}, "", usageError(stderr, name+": "+err.Error()), false
	}
	switch {
	case missing == "" && len(rest) > 0:
		return dbPlace{}, "", usageError(stderr, fmt.Sprintf("%s: unexpected argument %q", name, rest[0])), false
	case missing != "" && len(rest) != 1:
		return dbPlace{}, "", usageError(stderr, name+": "+missing), false
	case *d == "":
		return dbPlace{}, "", usageError(stderr, name+": --data must not be empty"), false
	}
	if err := checkDB(name, *url); err != nil {
		return dbPlace{}, "", usageError(stderr, err.Error()), false
	}
	if missing != "" {
		arg = rest[0]
	}
	return dbPlace{*d, *url}, arg, exitOK, true
}

// withDB opens the database at data, runs f and closes it.
func withDB(ctx context.Context, data dbPlace, stderr io.Writer, f func(*district.DB) error) int {
	db, err := district.Open(ctx, data.dir, data.url)
	if err == nil {
		err = f(db)
		if cerr := db.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "qiao-district: %v\n", err)
		return exitError
	}
	return exitOK
}

// ensureDir creates the data directory if missing (for SQLite).
func ensureDir(data dbPlace) error {
	if data.url != "" {
		return nil
	}
	if err := os.MkdirAll(data.dir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	return nil
}

// existingDir refuses a data directory without a district database, so a
// mistyped --data does not silently create an empty one. A PostgreSQL
// database must exist already (connecting to a mistyped one fails).
func existingDir(data dbPlace) error {
	if data.url != "" {
		return nil
	}
	if _, err := os.Stat(filepath.Join(data.dir, district.DBFile)); err != nil {
		return fmt.Errorf("no district database in %s (add a school first, or check --data)", data.dir)
	}
	return nil
}

// subcommand checks that args start with one of subs.
func subcommand(args []string, stderr io.Writer, cmd string, subs ...string) (string, bool) {
	if len(args) == 0 {
		usageError(stderr, fmt.Sprintf("%s: no subcommand given (want %v)", cmd, subs))
		return "", false
	}
	for _, s := range subs {
		if args[0] == s {
			return s, true
		}
	}
	usageError(stderr, fmt.Sprintf("%s: unknown subcommand %q (want %v)", cmd, args[0], subs))
	return "", false
}

// school runs "school add" and "school list".
func school(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	sub, ok := subcommand(args, stderr, "school", "add", "list")
	if !ok {
		return exitUsage
	}
	var name, code string
	data, rc, ok := adminFlags("school "+sub, args[1:], stdout, stderr, func(fs *flag.FlagSet) {
		if sub == "add" {
			fs.StringVar(&name, "name", "", "school name")
			fs.StringVar(&code, "code", "", "the school's own code")
		}
	})
	if !ok {
		return rc
	}
	if sub == "add" && name == "" {
		return usageError(stderr, "school add: --name is required")
	}
	if err := ensureDir(data); err != nil {
		fmt.Fprintf(stderr, "qiao-district: %v\n", err)
		return exitError
	}
	return withDB(ctx, data, stderr, func(db *district.DB) error {
		if sub == "add" {
			id, err := db.AddSchool(ctx, name, code)
			if err == nil {
				fmt.Fprintln(stdout, id)
			}
			return err
		}
		ss, err := db.Schools(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tCODE")
		for _, s := range ss {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", s.ID, s.Name, s.Code)
		}
		return tw.Flush()
	})
}

// codeCmd runs "code issue".
func codeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if _, ok := subcommand(args, stderr, "code", "issue"); !ok {
		return exitUsage
	}
	var school, role string
	var valid time.Duration
	data, rc, ok := adminFlags("code issue", args[1:], stdout, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&school, "school", "", "school id")
		fs.StringVar(&role, "role", "", "teacher, principal or district_admin")
		fs.DurationVar(&valid, "valid", 72*time.Hour, "how long the code is valid")
	})
	if !ok {
		return rc
	}
	switch {
	case school == "":
		return usageError(stderr, "code issue: --school is required")
	case !district.ValidRole(role):
		return usageError(stderr, fmt.Sprintf("code issue: --role must be teacher, principal or district_admin, not %q", role))
	case valid <= 0:
		return usageError(stderr, "code issue: --valid must be positive")
	}
	if err := existingDir(data); err != nil {
		fmt.Fprintf(stderr, "qiao-district: %v\n", err)
		return exitError
	}
	return withDB(ctx, data, stderr, func(db *district.DB) error {
		code, err := db.IssueCode(ctx, school, role, time.Now().Add(valid))
		if err == nil {
			fmt.Fprintln(stdout, code)
		}
		return err
	})
}

// device runs "device list" and "device revoke".
func device(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	sub, ok := subcommand(args, stderr, "device", "list", "revoke")
	if !ok {
		return exitUsage
	}
	var id string
	data, rc, ok := adminFlags("device "+sub, args[1:], stdout, stderr, func(fs *flag.FlagSet) {
		if sub == "revoke" {
			fs.StringVar(&id, "id", "", "device id")
		}
	})
	if !ok {
		return rc
	}
	if sub == "revoke" && id == "" {
		return usageError(stderr, "device revoke: --id is required")
	}
	if err := existingDir(data); err != nil {
		fmt.Fprintf(stderr, "qiao-district: %v\n", err)
		return exitError
	}
	return withDB(ctx, data, stderr, func(db *district.DB) error {
		if sub == "revoke" {
			return db.RevokeDevice(ctx, id)
		}
		ds, err := db.Devices(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSCHOOL\tROLE\tNAME\tENROLLED\tLAST SEEN\tREVOKED")
		for _, d := range ds {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.SchoolID, d.Role, d.Name,
				stamp(d.Enrolled), stamp(d.LastSeen), stamp(d.Revoked))
		}
		return tw.Flush()
	})
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}
