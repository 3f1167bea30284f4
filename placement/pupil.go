package placement

import (
	"fmt"
	"time"

	"qiao/sheet"
)

// Gender is 'M' or 'F'.
type Gender byte

// Genders.
const (
	Male   Gender = 'M'
	Female Gender = 'F'
)

// Date is a calendar date as days since 1970-01-01.
type Date int32

// DateOf returns the Date of a calendar day.
func DateOf(y int, m time.Month, d int) Date {
	return Date(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Time returns the date at midnight UTC.
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String formats the date as YYYY-MM-DD.
func (d Date) String() string { return d.Time().Format("2006-01-02") }

// Pupil is one row of the enrolment list.
type Pupil struct {
	ID       string
	Name     string
	Gender   Gender
	Birth    Date
	Score    int64 // hundredths of a point; meaningful when HasScore
	HasScore bool
	Together string // pupils with the same label share a class
	Apart    string // pupils with the same label are all in different classes
	Special  bool   // needs spreading (special needs, 随班就读)
	Fixed    int    // class number the pupil must go to; 0 = none
	Row      int    // row in the source file, for messages; not part of the input digest
}

// ScoreString formats a score with two decimals, or "" when there is none.
func (p Pupil) ScoreString() string {
	if !p.HasScore {
		return ""
	}
	return formatHundredths(p.Score)
}

func formatHundredths(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// Roster is a checked enrolment list: pupils sorted by ID, and the head
// teachers for the draw (sorted, may be empty).
type Roster struct {
	Pupils   []Pupil
	Teachers []string
}

// Problem is one thing wrong with an input file (see sheet.Problem).
type Problem = sheet.Problem

// Problem codes. The UI and CLI translate them as "problem.CODE".
const (
	ProblemUnreadable       = "unreadable"         // the file cannot be read at all: Args[0] is the reason
	ProblemNoRows           = "no_rows"            // header but no pupils
	ProblemMissingColumn    = "missing_column"     // a required column is absent
	ProblemDuplicateColumn  = "duplicate_column"   // two columns mean the same thing
	ProblemEmpty            = "empty"              // a required cell is empty
	ProblemDuplicateID      = "duplicate_id"       // Args: the ID, the row that has it first
	ProblemBadGender        = "bad_gender"         // Args[0]: the value
	ProblemBadDate          = "bad_date"           // Args[0]: the value
	ProblemBadScore         = "bad_score"          // Args[0]: the value
	ProblemBadFixed         = "bad_fixed"          // Args[0]: the value; Args[1]: number of classes (0 if not known yet)
	ProblemApartTooLarge    = "apart_too_large"    // Args: label, size, classes
	ProblemTogetherTooLarge = "together_too_large" // Args: label, size, max class size
	ProblemTogetherFixed    = "together_fixed"     // Args: label: members fixed to different classes
	ProblemTogetherApart    = "together_apart"     // Args: together label, apart label
	ProblemApartFixed       = "apart_fixed"        // Args: label, class: two members fixed to one class
	ProblemFixedOverflow    = "fixed_overflow"     // Args: class, count, max: more fixed pupils than a class can take
	ProblemTooFewTeachers   = "too_few_teachers"   // Args: teachers, classes
	ProblemTooFewPupils     = "too_few_pupils"     // Args: pupils, classes
	ProblemUnplaceable      = "unplaceable"        // Args: ID: the greedy deal found no class under the Apart/Together rules
	ProblemNotCanonical     = "not_canonical"      // Args: ID or teacher: a roster built in code breaks the canonical form
	ProblemBadEntropy       = "bad_entropy"        // the entropy or secret is not valid UTF-8 text
)

// InputError lists every problem found; the input is refused whole.
type InputError = sheet.InputError
