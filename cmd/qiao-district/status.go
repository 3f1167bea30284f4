package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"qiao/district"
)

// stdin is where "status password" reads the password; tests replace it.
var stdin io.Reader = os.Stdin

// statusCmd runs "status password": it sets (or with --remove removes) the
// password that admits remote clients to the status page (/status).
func statusCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if _, ok := subcommand(args, stderr, "status", "password"); !ok {
		return exitUsage
	}
	var loopback, remove bool
	data, rc, ok := adminFlags("status password", args[1:], stdout, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&loopback, "loopback", false, "require the password from loopback clients too")
		fs.BoolVar(&remove, "remove", false, "remove the password")
	})
	if !ok {
		return rc
	}
	if remove && loopback {
		return usageError(stderr, "status password: --remove and --loopback exclude each other")
	}
	if err := existingDir(data); err != nil {
		fmt.Fprintf(stderr, "qiao-district: %v\n", err)
		return exitError
	}
	password := ""
	if !remove {
		if f, ok := stdin.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				fmt.Fprint(stderr, "Status page password (shown as you type), then Enter: ")
			}
		}
		var err error
		if password, err = readPassword(stdin); err != nil {
			fmt.Fprintf(stderr, "qiao-district: status password: %v\n", err)
			return exitError
		}
	}
	return withDB(ctx, data, stderr, func(db *district.DB) error {
		if err := db.SetStatusPassword(ctx, password, loopback); err != nil {
			return err
		}
		switch {
		case remove:
			fmt.Fprintln(stdout, "status page password removed: /status is served to loopback clients only")
		case loopback:
			fmt.Fprintln(stdout, "status page password set: every client, loopback too, needs it")
		default:
			fmt.Fprintln(stdout, "status page password set: remote clients need it, loopback clients do not")
		}
		return nil
	})
}

// readPassword reads the first line of r, without its line ending.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, district.MaxStatusPassword+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	if errors.Is(err, io.EOF) && len(line) > district.MaxStatusPassword {
		return "", fmt.Errorf("the password is longer than %d bytes", district.MaxStatusPassword)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errors.New("no password on standard input (e.g. run it and type the password, or pipe it in)")
	}
	return line, nil
}
