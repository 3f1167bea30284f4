package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"qiao/district"
)

// library runs "library review", "library accept" and "library return":
// the resource library's review queue of teachers' contributions.
func library(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	sub, ok := subcommand(args, stderr, "library", "review", "accept", "return", "import-pack")
	if !ok {
		return exitUsage
	}
	if sub == "import-pack" {
		return importPack(ctx, args[1:], stdout, stderr)
	}
	var id, reason, state string
	data, rc, ok := adminFlags("library "+sub, args[1:], stdout, stderr, func(fs *flag.FlagSet) {
		switch sub {
		case "review":
			fs.StringVar(&state, "state", district.ContributionPending, "pending, accepted, returned or all")
		case "accept":
			fs.StringVar(&id, "id", "", "contribution id")
		case "return":
			fs.StringVar(&id, "id", "", "contribution id")
			fs.StringVar(&reason, "reason", "", "why it is returned")
		}
	})
	if !ok {
		return rc
	}
	switch {
	case sub != "review" && id == "":
		return usageError(stderr, "library "+sub+": --id is required")
	case sub == "return" && reason == "":
		return usageError(stderr, "library return: --reason is required (the school sees it)")
	case sub == "review" && state != "all" && state != district.ContributionPending && state != district.ContributionAccepted && state != district.ContributionReturned:
		return usageError(stderr, fmt.Sprintf("library review: --state must be pending, accepted, returned or all, not %q", state))
	}
	if err := existingDir(data); err != nil {
		fmt.Fprintf(stderr, "qiao-district: %v\n", err)
		return exitError
	}
	return withDB(ctx, data, stderr, func(db *district.DB) error {
		var c district.Contribution
		var err error
		switch sub {
		case "accept":
			c, err = db.AcceptContribution(ctx, id, time.Now())
		case "return":
			c, err = db.ReturnContribution(ctx, id, reason, time.Now())
		default:
			if state == "all" {
				state = ""
			}
			cs, err := db.Contributions(ctx, "", state)
			if err != nil {
				return err
			}
			names := map[string]string{}
			if ss, err := db.Schools(ctx); err == nil {
				for _, s := range ss {
					names[s.ID] = s.Name
				}
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATE\tSCHOOL\tTITLE\tKIND\tGRADE\tSUBJECT\tSIZE\tBY\tSENT\tREASON")
			for _, c := range cs {
				f := c.Fields
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%d\t%s\t%s\t%s\n", c.ID, c.State, names[c.SchoolID], f.Title, f.Kind,
					f.Grade, f.Subject, f.Size, f.UploadedBy, stamp(time.Unix(c.CreatedAt, 0)), c.Reason)
			}
			return tw.Flush()
		}
		if err == nil {
			fmt.Fprintf(stdout, "%s %s %s\n", c.ID, c.State, c.EntryID)
		}
		return err
	})
}
