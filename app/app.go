// Package app is Qiao's composition root: it finds the data directory,
// opens the store and the services, then runs the GUI or a headless
// subcommand. It holds no business rules.
package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"qiao/i18n"
	"qiao/messages"
	"qiao/store"
)

// Main runs Qiao with the command-line arguments (without the program
// name) and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	i18n.Use(cliLanguage())
	fs := flag.NewFlagSet("qiao", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataFlag := fs.String("data", "", i18n.T("cli.flag.data"))
	sample := fs.Bool("sample", false, i18n.T("cli.flag.sample"))
	fs.Usage = func() { fmt.Fprint(stderr, i18n.T("cli.usage")) }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	dir, err := DataDir(*dataFlag)
	if err != nil {
		fmt.Fprintln(stderr, i18n.T("cli.error", err))
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	rest := fs.Args()
	if len(rest) == 0 {
		return runGUI(ctx, dir, *sample, stderr)
	}
	cmd, cmdArgs := rest[0], rest[1:]
	switch cmd {
	case "version":
		fmt.Fprintf(stdout, "qiao %s (schema %d)\n", Version, store.SchemaVersion())
		return 0
	case "backup":
		return oneFile(cmdArgs, stdout, stderr, func(file string) (string, error) {
			return i18n.T("cli.backup.done", dir, file), store.BackupDir(ctx, dir, file)
		})
	case "restore":
		return oneFile(cmdArgs, stdout, stderr, func(file string) (string, error) {
			kept, err := store.Restore(ctx, dir, file)
			if kept != "" {
				return i18n.T("cli.restore.done_kept", file, dir, kept), err
			}
			return i18n.T("cli.restore.done", file, dir), err
		})
	case "bench":
		return runBench(ctx, cmdArgs, stdout, stderr)
	case "placement":
		return runPlacement(ctx, dir, cmdArgs, stdout, stderr)
	case "replica":
		return runReplica(ctx, dir, cmdArgs, stdout, stderr)
	case "help", "-h", "--help":
		fs.Usage()
		return 0
	}
	fmt.Fprintln(stderr, i18n.T("cli.unknown", cmd))
	fs.Usage()
	return 2
}

// oneFile runs a subcommand that takes exactly one file argument.
func oneFile(args []string, stdout, stderr io.Writer, run func(string) (string, error)) int {
	if len(args) != 1 {
		fmt.Fprint(stderr, i18n.T("cli.usage"))
		return 2
	}
	msg, err := run(args[0])
	if err != nil {
		fmt.Fprintln(stderr, i18n.T("cli.error", messages.Error(err)))
		return 1
	}
	fmt.Fprintln(stdout, msg)
	return 0
}

// cliLanguage picks the command line's language: $QIAO_LANG, else English
// when the locale asks for a language other than Chinese, else Chinese.
func cliLanguage() string {
	if l := os.Getenv("QIAO_LANG"); l != "" {
		return l
	}
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		l := os.Getenv(v)
		if l == "" || l == "C" || l == "POSIX" || strings.HasPrefix(l, "C.") {
			continue
		}
		if strings.HasPrefix(l, "zh") {
			return i18n.Chinese
		}
		return i18n.English
	}
	return i18n.Chinese
}
