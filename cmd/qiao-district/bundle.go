package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"qiao/district"
)

// importBundle runs "import-bundle [--data DIR] [--db URL] --out RETURN FILE":
// it imports a school's offline push bundle and writes the return bundle
// for the same device. A bundle imported before changes nothing; its
// return bundle is written again.
func importBundle(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "import-bundle"
	var out *string
	data, file, rc, ok := adminFlagsArg(name, args, stdout, stderr, func(fs *flag.FlagSet) {
		out = fs.String("out", "", "return bundle to write")
	}, "give exactly one bundle FILE")
	switch {
	case !ok:
		return rc
	case *out == "":
		return usageError(stderr, name+": --out RETURN-FILE is required (the return bundle for the school)")
	case *out == file:
		return usageError(stderr, name+": --out must not be the bundle being imported")
	}
	if err := existingDir(data); err != nil {
		fmt.Fprintf(stderr, "qiao-district: %v\n", err)
		return exitError
	}
	return withDB(ctx, data, stderr, func(db *district.DB) error {
		imp, err := db.ImportBundle(ctx, file, time.Now())
		if err != nil {
			return err
		}
		h := imp.Header
		if imp.Already {
			fmt.Fprintf(stdout, "bundle %s from device %s was already imported on %s; nothing changed\n",
				h.ID, h.Device, imp.ImportedAt.UTC().Format("2006-01-02 15:04Z"))
		} else {
			r := imp.Result
			fmt.Fprintf(stdout, "imported bundle %s from device %s (%s, school %s): %d changes, %d applied, %d already known, %d conflicts\n",
				h.ID, h.Device, imp.Device.Name, h.School, h.Changes, r.Applied, r.Stale, r.Conflicts)
		}
		ret, err := db.WriteReturnBundle(ctx, imp.Device, h.PulledThrough, *out, time.Now())
		if err != nil {
			return fmt.Errorf("the bundle was imported, but the return bundle could not be written (run the command again): %w", err)
		}
		fmt.Fprintf(stdout, "wrote return bundle %s to %s: %d rows for device %s; import it in the school's app (qiao replica import-bundle)\n",
			ret.ID, *out, ret.Changes, ret.Device)
		return nil
	})
}

// parseAround parses fs's flags from args when positional arguments may
// come before, between or after them, and returns those arguments.
func parseAround(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos, rest = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
}
