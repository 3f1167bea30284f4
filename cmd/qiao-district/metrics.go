package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"qiao/district"
)

// metricsCmd runs "metrics rollup": it prints the district's roll-up of
// the school indicators for a term and, with --xlsx, writes it as a workbook.
func metricsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if _, ok := subcommand(args, stderr, "metrics", "rollup"); !ok {
		return exitUsage
	}
	var term, xlsx string
	data, rc, ok := adminFlags("metrics rollup", args[1:], stdout, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&term, "term", "", "term, e.g. 2026-autumn")
		fs.StringVar(&xlsx, "xlsx", "", "write the roll-up to this .xlsx file")
	})
	if !ok {
		return rc
	}
	if term == "" {
		return usageError(stderr, "metrics rollup: --term is required (e.g. --term 2026-autumn)")
	}
	if err := existingDir(data); err != nil {
		fmt.Fprintf(stderr, "qiao-district: %v\n", err)
		return exitError
	}
	return withDB(ctx, data, stderr, func(db *district.DB) error {
		ro, err := db.Rollup(ctx, term, time.Now())
		if err != nil {
			return err
		}
		if err := ro.WriteText(stdout); err != nil {
			return err
		}
		if xlsx == "" {
			return nil
		}
		var buf bytes.Buffer
		if err := ro.WriteXLSX(&buf); err != nil {
			return err
		}
		if err := writeFileAtomic(xlsx, buf.Bytes()); err != nil {
			return fmt.Errorf("metrics rollup: %w", err)
		}
		fmt.Fprintf(stdout, "wrote %s\n", xlsx)
		return nil
	})
}

// writeFileAtomic writes b to path through a temporary file in the same
// directory, so a cut write leaves no half file.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".qiao-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
