// Package library is the resource library (资源库): a catalogue of teaching
// resources (courseware, plans, videos, papers, homework, materials,
// recorded lessons) whose files live in the content store.
//
// Catalogue entries are synced rows of library_entries: the district's
// are district-wide (school_id ""), a school's own are its rows. Browsing
// (the textbook tree), listing and search all read one in-memory index of
// the entries this device can see.
//
// Why an in-memory index and not SQLite's full-text search: FTS5's
// unicode61 tokenizer takes a run of Chinese characters as one token, so
// 数学 would not find 小学数学三年级; its trigram tokenizer cannot match the
// two-character words that make up most Chinese queries (数学, 分数). The
// index here keeps every entry's searchable text (title, unit, tags,
// subject, edition, stage, grade and kind words, uploader) and a posting
// list for every pair of adjacent characters (bigram). A query's
// candidates are the entries holding the rarest of its terms' first
// bigrams, each checked against the text (whole, or in pieces for
// 数学三年级 against 三年级数学); a query of one-character terms scans the entries,
// which at 100,000 entries stays within the as-you-type budget (see
// docs/BENCHMARKS.md). Rows arrive through sync as well as through this
// package, so the index does not follow its own writes: triggers on
// library_entries record every changed entry in library_touched, and each
// read first applies what changed since the last one. The index is built
// on first use.
package library

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"qiao/content"
	"qiao/store"
)

// Kind is what sort of resource an entry is.
type Kind string

// The kinds of resource, as stored in library_entries.kind.
const (
	Courseware Kind = "courseware" // 课件
	Plan       Kind = "plan"       // 教案, 教学设计
	Video      Kind = "video"      // 微课, 一师一优课
	Paper      Kind = "paper"      // 试卷
	Homework   Kind = "homework"   // 作业
	Material   Kind = "material"   // 素材
	Recording  Kind = "recording"  // 录播课: a recorded Qiao lesson
)

// Kinds lists every kind in display order.
var Kinds = []Kind{Courseware, Plan, Video, Paper, Homework, Material, Recording}

// Source is who provided an entry.
type Source string

// The sources of an entry, as stored in library_entries.source.
const (
	FromDistrict Source = "district"
	FromSchool   Source = "school"
	FromTeacher  Source = "teacher"
)

// Stages are the school stages an entry may name, in order.
var Stages = []string{"小学", "初中", "高中"}

// Entry is one catalogue entry, a row of library_entries.
type Entry struct {
	ID         string
	SchoolID   string // "" for a district-wide entry
	Title      string
	Stage      string // one of Stages, or ""
	Subject    string
	Edition    string // textbook edition: 人教版, 北师大版 …
	Grade      int    // 1..12; 0 when not for one grade
	Unit       string // unit or chapter
	Kind       Kind
	Source     Source
	FileName   string // the original name, for its extension and "save as"
	Size       int64
	Hash       string // SHA-256 of the file, lower-case hex
	Tags       []string
	UploadedBy string
	Licence    string
	LessonID   string // the recorded Qiao lesson, for Kind Recording
	CreatedAt  time.Time
}

// Service is the library of one school on this device.
type Service struct {
	st       *store.Store
	files    *content.Store
	schoolID string
	now      func() time.Time

	mu  sync.Mutex // guards idx
	idx *index     // nil until first use
}

// New returns the library of school schoolID. files is the content store
// the library's files live in; it may be nil for a service that only
// writes rows (the sample school's catalogue): Add then fails and the
// offline filter matches nothing.
func New(st *store.Store, files *content.Store, schoolID string) *Service {
	return &Service{st: st, files: files, schoolID: schoolID, now: time.Now}
}

// SchoolID is the school whose library s is.
func (s *Service) SchoolID() string { return s.schoolID }

// Code says what is wrong with an entry or a request; the UI maps it to
// the translation key "library.err." + Code.
type Code string

// Error codes.
const (
	ErrTitle    Code = "title"     // the title is empty or longer than MaxTitle
	ErrKind     Code = "kind"      // not one of Kinds
	ErrSource   Code = "source"    // not a known source, or not allowed here
	ErrGrade    Code = "grade"     // not 0..12
	ErrStage    Code = "stage"     // not one of Stages or ""
	ErrHash     Code = "hash"      // not 64 lower-case hex digits
	ErrSize     Code = "size"      // negative
	ErrTags     Code = "tags"      // too many, empty or too long tags
	ErrText     Code = "text"      // a field longer than MaxField
	ErrNotFound Code = "not_found" // no such entry (or it was deleted)
	ErrFile     Code = "file"      // the file cannot be read or stored
	ErrNoFiles  Code = "no_files"  // the service has no content store
)

// Limits on an entry's text.
const (
	MaxTitle = 200 // characters
	MaxField = 200 // characters of stage, subject, edition, unit, names
	MaxTags  = 20
	MaxTag   = 40 // characters
)

// Error is a refused entry or request with its Code.
type Error struct {
	Code Code
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return "library: " + string(e.Code)
	}
	return "library: " + string(e.Code) + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// CodeOf is err's Code, or "" if err is not an *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func fail(c Code, format string, a ...any) *Error {
	return &Error{Code: c, Err: fmt.Errorf(format, a...)}
}
