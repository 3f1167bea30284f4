package main

import (
	"context"
	"errors"
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

// importPack runs "library import-pack [--data DIR] [--db URL] PACKDIR":
// it loads a resource pack (docs/resource-pack.md) into the district's
// own catalogue and file store. Exit 1 if any entry was refused.
func importPack(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "library import-pack"
	fset := flag.NewFlagSet(name, flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	dir := fset.String("data", defaultDataDir, "data directory")
	url := dbFlag(fset)
	// PACKDIR may come before or after the flags.
	var packs []string
	for rest := args; ; {
		if err := fset.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				printUsage(stdout)
				return exitOK
			}
			return usageError(stderr, name+": "+err.Error())
		}
		if fset.NArg() == 0 {
			break
		}
		packs, rest = append(packs, fset.Arg(0)), fset.Args()[1:]
	}
	switch {
	case len(packs) != 1:
		return usageError(stderr, name+": give exactly one PACKDIR (the folder holding manifest.json)")
	case *dir == "":
		return usageError(stderr, name+": --data must not be empty")
	}
	if err := checkDB(name, *url); err != nil {
		return usageError(stderr, err.Error())
	}
	data := dbPlace{*dir, *url}
	if err := existingDir(data); err != nil {
		fmt.Fprintf(stderr, "qiao-district: %v\n", err)
		return exitError
	}
	pack := os.DirFS(packs[0])
	m, err := readPackManifest(pack)
	if err != nil {
		fmt.Fprintf(stderr, "qiao-district: %s: %v\n", packs[0], err)
		return exitError
	}
	files, err := district.OpenFiles(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "qiao-district: %v\n", err)
		return exitError
	}
	var rep district.LibraryImport
	code := withDB(ctx, data, stderr, func(db *district.DB) error {
		open := func(hash string) (io.ReadCloser, error) { return pack.Open(qlib.PackPath(hash)) }
		rep, err = db.ImportLibrary(ctx, files, libraryEntries(m), open, time.Now())
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
