package sheet

import "fmt"

// Problem is one thing wrong with an input file. Row is the spreadsheet row
// (1 = header; 0 = the file as a whole); Column names the column as the
// user sees it (ColLabel). Code says what is wrong; Args fill in the
// message. The UI and CLI translate codes as "problem.CODE", one namespace
// for every import, so a code means the same thing everywhere.
type Problem struct {
	Row    int
	Column string
	Code   string
	Args   []any
}

// InputError lists every problem found in an input; it is refused whole.
type InputError struct{ Problems []Problem }

func (e *InputError) Error() string {
	if len(e.Problems) == 1 {
		p := e.Problems[0]
		return fmt.Sprintf("input: row %d column %s: %s %v", p.Row, p.Column, p.Code, p.Args)
	}
	return fmt.Sprintf("input: %d problems", len(e.Problems))
}

// Unreadable is the error for a file that cannot be read at all.
func Unreadable(err error) *InputError {
	return &InputError{Problems: []Problem{{Code: "unreadable", Args: []any{err.Error()}}}}
}
