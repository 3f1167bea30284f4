package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"qiao/content"
	"qiao/district"
	qlib "qiao/library"
)

// importPack runs "library import-pack [--data DIR] [--db URL]
// [--progress] PACKDIR": it loads a resource pack (docs/resource-pack.md)
// into the district's own catalogue and file store, continuing the files
// a cut import left, and shows its progress on stderr when that is a
// terminal or --progress is given. Exit 1 if any entry was refused.
func importPack(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "library import-pack"
	var showProgress *bool
	data, packDir, rc, ok := adminFlagsArg(name, args, stdout, stderr, func(fs *flag.FlagSet) {
		showProgress = fs.Bool("progress", false, "print progress to stderr even when it is not a terminal")
	}, "give exactly one PACKDIR (the folder holding manifest.json)")
	if !ok {
		return rc
	}
	if err := existingDir(data); err != nil {
		fmt.Fprintf(stderr, "qiao-district: %v\n", err)
		return exitError
	}
	pack := os.DirFS(packDir)
	m, err := readPackManifest(pack)
	if err != nil {
		fmt.Fprintf(stderr, "qiao-district: %s: %v\n", packDir, err)
		return exitError
	}
	files, err := district.OpenFiles(data.dir)
	if err != nil {
		fmt.Fprintf(stderr, "qiao-district: %v\n", err)
		return exitError
	}
	var rep district.LibraryImport
	var progress func(district.ImportProgress)
	var bar *progressLine
	if term := isTerminal(stderr); term || *showProgress {
		bar = &progressLine{w: stderr, term: term, now: time.Now}
		progress = bar.show
	}
	code := withDB(ctx, data, stderr, func(db *district.DB) error {
		open := func(hash string) (io.ReadCloser, error) { return pack.Open(qlib.PackPath(hash)) }
		rep, err = db.ImportLibrary(ctx, files, libraryEntries(m), open, time.Now(), progress)
		bar.end()
		return err
	})
	if code != exitOK {
		return code
	}
	fmt.Fprintf(stdout, "pack %q (%s, %d entries): %d added, %d updated, %d unchanged, %d left deleted; files: %d copied, %d already there\n",
		m.Title, m.Creator, len(m.Entries), rep.Added, rep.Updated, rep.Unchanged, rep.Deleted, rep.Copied, rep.Present)
	if len(rep.Refused) == 0 {
		return exitOK
	}
	fmt.Fprintf(stderr, "%d entries refused (the others were imported):\n", len(rep.Refused))
	for _, r := range rep.Refused {
		file := r.Hash
		if content.ValidHash(file) {
			file = qlib.PackPath(file)
		}
		fmt.Fprintf(stderr, "  %q (id %s, file %s): %s\n", r.Title, r.ID, file, r.Reason)
	}
	return exitError
}

// readPackManifest reads and checks the pack's manifest.json.
func readPackManifest(pack fs.FS) (*qlib.Manifest, error) {
	f, err := pack.Open(qlib.ManifestFile)
	if err != nil {
		return nil, fmt.Errorf("not a resource pack: %w", err)
	}
	defer f.Close()
	return qlib.ReadManifest(f)
}

// libraryEntries are the pack's entries as the district imports them.
func libraryEntries(m *qlib.Manifest) []district.LibraryEntry {
	out := make([]district.LibraryEntry, len(m.Entries))
	for i, e := range m.Entries {
		out[i] = district.LibraryEntry{ID: e.ID, SchoolID: e.SchoolID, LessonID: e.LessonID, CreatedAt: e.CreatedAt,
			LibraryFields: district.LibraryFields{Title: e.Title, Stage: e.Stage, Subject: e.Subject, Edition: e.Edition,
				Grade: e.Grade, Unit: e.Unit, Kind: e.Kind, FileName: e.FileName, Size: e.Size, Hash: e.Hash,
				Tags: e.Tags, UploadedBy: e.UploadedBy, Licence: e.Licence}}
	}
	return out
}

// progressLine prints an import's progress at most once a second (and
// its last state at the end): rewriting one line on a terminal, one line
// each otherwise (a log).
type progressLine struct {
	w       io.Writer
	term    bool
	now     func() time.Time
	last    time.Time // when it last printed
	pending *district.ImportProgress
}

// show prints p unless it printed less than a second ago.
func (l *progressLine) show(p district.ImportProgress) {
	if t := l.now(); l.last.IsZero() || t.Sub(l.last) >= time.Second {
		l.last, l.pending = t, nil
		l.print(p)
		return
	}
	l.pending = &p
}

// end prints the last state not yet printed and ends the line.
func (l *progressLine) end() {
	if l == nil {
		return
	}
	if l.pending != nil {
		l.print(*l.pending)
		l.pending = nil
	}
	if l.term && !l.last.IsZero() {
		fmt.Fprintln(l.w)
	}
}

func (l *progressLine) print(p district.ImportProgress) {
	line := fmt.Sprintf("files %d/%d, %s/%s", p.FilesDone, p.Files, mib(p.BytesDone), mib(p.Bytes))
	if p.Current != "" {
		line += ": " + p.Current
	}
	if l.term {
		fmt.Fprintf(l.w, "\r%s\x1b[K", line)
	} else {
		fmt.Fprintln(l.w, line)
	}
}

// mib formats n bytes in MiB with one decimal.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
