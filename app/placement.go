package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"qiao/i18n"
	"qiao/messages"
	"qiao/placement"
	"qiao/school"
	"qiao/store"
)

// runPlacement runs `qiao placement run|verify|commit`.
func runPlacement(ctx context.Context, dir string, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, i18n.T("placement.cli.usage"))
		return 2
	}
	switch args[0] {
	case "run":
		return placementRun(ctx, dir, args[1:], stdout, stderr)
	case "verify":
		return placementVerify(args[1:], stdout, stderr)
	case "sample":
		return placementSample(args[1:], stdout, stderr)
	case "commit":
		fs := newFlags("placement commit", stderr)
		secret := fs.String("secret", "", i18n.T("placement.cli.flag.secret"))
		if fs.Parse(args[1:]) != nil || *secret == "" {
			fmt.Fprint(stderr, i18n.T("placement.cli.usage"))
			return 2
		}
		fmt.Fprintln(stdout, placement.Commitment(*secret))
		return 0
	}
	fmt.Fprint(stderr, i18n.T("placement.cli.usage"))
	return 2
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// readRoster reads the enrolment list and, if given, a separate head-teacher
// list, printing every problem when the input is refused.
func readRoster(in, teachers string, stderr io.Writer) (*placement.Roster, bool) {
	r, err := placement.ReadFile(in)
	if err == nil && teachers != "" {
		r.Teachers, err = placement.ReadTeachers(teachers)
	}
	if err != nil {
		printProblems(err, stderr)
		return nil, false
	}
	return r, true
}

func printProblems(err error, stderr io.Writer) {
	fmt.Fprintln(stderr, i18n.T("cli.error", messages.Error(err)))
	var input *placement.InputError
	if errors.As(err, &input) {
		lines := messages.Problems(err)
		for i, line := range lines {
			if i == maxListed {
				fmt.Fprintln(stderr, "  "+i18n.T("placement.cli.more_problems", len(lines)-maxListed))
				break
			}
			fmt.Fprintln(stderr, "  "+line)
		}
	}
}

func placementRun(ctx context.Context, dir string, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("placement run", stderr)
	in := fs.String("in", "", i18n.T("placement.cli.flag.in"))
	out := fs.String("out", "", i18n.T("placement.cli.flag.out"))
	classes := fs.Int("classes", 0, i18n.T("placement.cli.flag.classes"))
	entropy := fs.String("entropy", "", i18n.T("placement.cli.flag.entropy"))
	teachers := fs.String("teachers", "", i18n.T("placement.cli.flag.teachers"))
	secret := fs.String("secret", "", i18n.T("placement.cli.flag.secret"))
	commitment := fs.String("commitment", "", i18n.T("placement.cli.flag.commitment"))
	title := fs.String("title", i18n.T("placement.default_title"), i18n.T("placement.cli.flag.title"))
	noScore := fs.Bool("no-score", false, i18n.T("placement.cli.flag.no_score"))
	noAge := fs.Bool("no-age", false, i18n.T("placement.cli.flag.no_age"))
	if fs.Parse(args) != nil || *in == "" || *out == "" || *classes < 1 || strings.TrimSpace(*entropy) == "" {
		fmt.Fprint(stderr, i18n.T("placement.cli.usage"))
		return 2
	}
	start := time.Now()
	r, ok := readRoster(*in, *teachers, stderr)
	if !ok {
		return 1
	}
	if *commitment != "" && placement.Commitment(*secret) != strings.ToLower(*commitment) {
		fmt.Fprintln(stderr, i18n.T("cli.error", i18n.T("placement.commitment_mismatch")))
		return 1
	}
	digest := placement.Digest(r)
	fmt.Fprintln(stdout, i18n.T("placement.cli.input", len(r.Pupils), digest))
	res, err := placement.Draw(r, placement.Params{Classes: *classes, BalanceScore: !*noScore, BalanceAge: !*noAge}, *entropy, *secret)
	if err != nil {
		printProblems(err, stderr)
		return 1
	}
	schoolName, archive := openArchive(ctx, dir, stderr)
	meta := placement.Meta{School: schoolName, Title: *title, QiaoVersion: Version, Created: time.Now(), Commitment: strings.ToLower(*commitment)}
	if err := writeResult(*out, r, res, meta); err != nil {
		fmt.Fprintln(stderr, i18n.T("cli.error", err))
		return 1
	}
	printReport(stdout, placement.Balance(r, res))
	fmt.Fprintln(stdout, i18n.T("placement.cli.done", res.Seed, res.OutputDigest, *out, time.Since(start).Seconds()))
	if archive != nil {
		defer archive.close()
		if _, err := archive.Save(ctx, archive.schoolID, *title, r, res, meta.Commitment, meta.Created); err != nil {
			fmt.Fprintln(stderr, i18n.T("placement.cli.not_archived", err))
		}
	}
	return 0
}

// cliArchive is the local archive, when the data folder could be opened.
type cliArchive struct {
	*placement.Archive
	schoolID string
	close    func() error
}

// openArchive opens the local store to archive the draw. While the app has
// it open, the draw is still made and written, with a warning.
func openArchive(ctx context.Context, dir string, stderr io.Writer) (string, *cliArchive) {
	st, err := store.Open(ctx, dir)
	if err != nil {
		fmt.Fprintln(stderr, i18n.T("placement.cli.not_archived", messages.Error(err)))
		return "", nil
	}
	sch, _, _ := school.NewService(st).Current(ctx)
	return sch.Name, &cliArchive{placement.NewArchive(st), sch.ID, st.Close}
}

// writeResult writes the workbook beside out and renames it into place.
func writeResult(out string, r *placement.Roster, res *placement.Result, meta placement.Meta) error {
	tmp, err := os.CreateTemp(filepath.Dir(out), ".qiao-result-*.xlsx")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := placement.WriteXLSX(tmp, r, res, meta); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}

func placementVerify(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("placement verify", stderr)
	in := fs.String("in", "", i18n.T("placement.cli.flag.in"))
	result := fs.String("result", "", i18n.T("placement.cli.flag.result"))
	teachers := fs.String("teachers", "", i18n.T("placement.cli.flag.teachers"))
	if fs.Parse(args) != nil || *in == "" || *result == "" {
		fmt.Fprint(stderr, i18n.T("placement.cli.usage"))
		return 2
	}
	r, ok := readRoster(*in, *teachers, stderr)
	if !ok {
		return 1
	}
	rec, err := placement.ReadResultFile(*result)
	if err != nil {
		fmt.Fprintln(stderr, i18n.T("cli.error", messages.Error(err)))
		return 1
	}
	v, err := placement.Verify(r, rec)
	if err != nil {
		fmt.Fprintln(stderr, i18n.T("cli.error", messages.Error(err)))
		return 1
	}
	if v.OK() {
		fmt.Fprintln(stdout, i18n.T("placement.verify_ok", len(r.Pupils), rec.Params.Classes, v.OutputDigest))
		return 0
	}
	fmt.Fprintln(stdout, i18n.T("placement.verify_failed", len(v.Differences)))
	for i, d := range v.Differences {
		if i == maxListed {
			fmt.Fprintln(stdout, "  "+i18n.T("placement.cli.more", len(v.Differences)-maxListed))
			break
		}
		fmt.Fprintln(stdout, "  "+messages.Difference(d))
	}
	return 1
}

// maxListed is how many problems or differences the command line lists.
const maxListed = 50

// printReport prints the balance report as an aligned table.
func printReport(w io.Writer, rep placement.Report) {
	head, body := messages.ReportTable(rep)
	rows := append([][]string{head}, body...)
	widths := make([]int, len(head))
	for _, r := range rows {
		for i, cell := range r {
			widths[i] = max(widths[i], displayWidth(cell))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, cell := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(cell + strings.Repeat(" ", widths[i]-displayWidth(cell)))
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// displayWidth counts Chinese and full-width characters as two columns.
func displayWidth(s string) int {
	w := 0
	for _, r := range s {
		if unicode.Is(unicode.Han, r) || (r >= 0xFF00 && r <= 0xFFEF) || (r >= 0x3000 && r <= 0x303F) {
			w += 2
		} else {
			w++
		}
	}
	return w
}

// placementSample writes a generated enrolment list: a template to fill in,
// or a realistic list to rehearse the ceremony with.
func placementSample(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("placement sample", stderr)
	pupils := fs.Int("pupils", 200, i18n.T("placement.cli.flag.pupils"))
	teachers := fs.Int("teachers", 0, i18n.T("placement.cli.flag.sample_teachers"))
	out := fs.String("out", "", i18n.T("placement.cli.flag.sample_out"))
	if fs.Parse(args) != nil || *out == "" || *pupils < 1 {
		fmt.Fprint(stderr, i18n.T("placement.cli.usage"))
		return 2
	}
	r := placement.Generate(*pupils, uint64(*pupils))
	for i := 0; i < *teachers; i++ {
		r.Teachers = append(r.Teachers, fmt.Sprintf("%s%02d", i18n.T("placement.sample_teacher"), i+1))
	}
	f, err := os.Create(*out)
	if err == nil {
		err = placement.WriteRosterXLSX(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, i18n.T("cli.error", err))
		return 1
	}
	fmt.Fprintln(stdout, i18n.T("placement.cli.sample_done", *out, *pupils))
	return 0
}
