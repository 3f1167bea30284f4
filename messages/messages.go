// Package messages turns what the domain packages report (errors, input
// problems, verification differences) into translated text for the
// command line and the GUI alike.
package messages

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"qiao/district"
	"qiao/i18n"
	"qiao/placement"
	"qiao/replica"
	"qiao/sheet"
	"qiao/store"
)

// Error explains err in the user's language, saying what to do where the
// error is one Qiao knows.
func Error(err error) string {
	var tooNew store.ErrTooNew
	var input *sheet.InputError
	var result *placement.ResultError
	if msg, ok := syncError(err); ok {
		return msg
	}
	switch {
	case errors.Is(err, store.ErrLocked):
		return i18n.T("err.locked")
	case errors.Is(err, store.ErrNoDatabase):
		return i18n.T("err.no_database")
	case errors.As(err, &tooNew):
		return i18n.T("err.too_new", tooNew.Have, tooNew.Know)
	case errors.As(err, &input):
		return i18n.T("placement.input_refused", len(input.Problems))
	case errors.As(err, &result):
		return Result(result)
	case errors.Is(err, placement.ErrUnknownAlgorithm):
		return i18n.T("placement.unknown_algorithm", err)
	}
	return err.Error()
}

// where says where in a file something is: row and column, either may be absent.
func where(row int, column string) string {
	switch {
	case row > 0 && column != "":
		return i18n.T("placement.where.row_col", row, column)
	case row > 0:
		return i18n.T("placement.where.row", row)
	case column != "":
		return i18n.T("placement.where.col", column)
	}
	return ""
}

// Problem explains one problem of an enrolment list.
func Problem(p sheet.Problem) string {
	return where(p.Row, p.Column) + i18n.T("problem."+p.Code, p.Args...)
}

// Result explains why a workbook cannot be read as a placement result.
func Result(e *placement.ResultError) string {
	sheet := ""
	if e.Sheet != "" {
		sheet = i18n.T("placement.where.sheet", e.Sheet)
	}
	return i18n.T("placement.result_unreadable") + sheet + where(e.Row, e.Column) + i18n.T("placement.result."+e.Code, e.Args...)
}

// Difference explains one way a result disagrees with its recomputation.
func Difference(d placement.Difference) string {
	subject := ""
	switch {
	case d.PupilID != "":
		subject = i18n.T("placement.verify.subject_pupil", d.PupilID)
	case d.Class > 0:
		subject = i18n.T("placement.verify.subject_class", d.Class)
	}
	at := ""
	switch {
	case d.Sheet != "" && d.Row > 0:
		at = i18n.T("placement.at.sheet_row", d.Sheet, d.Row)
	case d.Sheet != "":
		at = i18n.T("placement.at.sheet", d.Sheet)
	}
	return subject + i18n.T("placement.verify."+d.Code, d.Recorded, d.Recomputed, d.Column) + at
}

// Problems lists every problem, one per line.
func Problems(err error) []string {
	var input *sheet.InputError
	if !errors.As(err, &input) {
		return []string{Error(err)}
	}
	out := make([]string, len(input.Problems))
	for i, p := range input.Problems {
		out[i] = Problem(p)
	}
	return out
}

// ReportTable lays out a balance report for display: the translated
// column headers, one row per class, then the max-min row.
func ReportTable(rep placement.Report) (head []string, rows [][]string) {
	head = strings.Split(i18n.T("placement.report.columns"), "|")
	for _, c := range rep.Classes {
		rows = append(rows, reportRow(i18n.T("placement.class_name", c.Class), c, true))
	}
	rows = append(rows, reportRow(i18n.T("placement.report.spread"), rep.Spread, false))
	return head, rows
}

// reportRow formats one row; dates shows the mean birth date as a date
// (class rows) rather than a number of days (the max-min row).
func reportRow(name string, c placement.ClassReport, dates bool) []string {
	birth := fmt.Sprintf("%.1f", c.MeanBirth)
	if dates {
		birth = placement.Date(math.Round(c.MeanBirth)).String()
	}
	num := func(v float64) string {
		if math.IsNaN(v) {
			return "—"
		}
		return fmt.Sprintf("%.2f", v)
	}
	return []string{name, c.Teacher, fmt.Sprint(c.Size), fmt.Sprint(c.Boys), fmt.Sprint(c.Girls), fmt.Sprint(c.Special),
		birth, fmt.Sprintf("%.1f", c.SDBirth), num(c.MeanScore), num(c.SDScore)}
}

// serverCodes are the refusals of the district server that have their own
// explanation (key "sync.err.code.CODE"); others are shown with their code.
var serverCodes = []string{
	"code_unknown", "code_used", "code_expired", "too_many_attempts", "device_revoked", "device_unknown", "time_skew", "partition",
	"batch_too_large", "body_too_large", "key_in_use", "device_id_in_use", "bad_signature", "replay", "internal",
}

// syncError explains an error of enrolment or sync, if err is one.
func syncError(err error) (string, bool) {
	var se *replica.ServerError
	var mismatch *district.FingerprintMismatchError
	switch {
	case errors.As(err, &mismatch):
		return i18n.T("sync.err.fingerprint", mismatch.Got, mismatch.Want), true
	case errors.As(err, &se):
		for _, c := range serverCodes {
			if se.Code == c {
				return i18n.T("sync.err.code." + c), true
			}
		}
		return i18n.T("sync.err.server", se.Code, se.Message), true
	case errors.Is(err, replica.ErrNotEnrolled):
		return i18n.T("sync.err.not_enrolled"), true
	case replica.Unreachable(err):
		return i18n.T("sync.err.network"), true
	}
	return "", false
}

// SyncBrief is a few words for the status bar about a failed sync.
func SyncBrief(err error) string {
	var se *replica.ServerError
	var mismatch *district.FingerprintMismatchError
	switch {
	case errors.As(err, &mismatch):
		return i18n.T("sync.brief.fingerprint")
	case errors.As(err, &se) && se.Code == "device_revoked":
		return i18n.T("sync.brief.revoked")
	case errors.As(err, &se) && se.Code == "time_skew":
		return i18n.T("sync.brief.clock")
	case errors.As(err, &se):
		return i18n.T("sync.brief.refused")
	case replica.Unreachable(err):
		return i18n.T("sync.brief.offline")
	}
	return i18n.T("sync.brief.failed")
}
