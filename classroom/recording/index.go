package recording

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"
)

// Mark is where a record starts in the file, and its time.
type Mark struct {
	At     time.Duration
	Offset int64
}

// File is an opened recording with its index: where the snapshots are (to
// seek) and the slides (to show them without reading the whole file).
type File struct {
	f         *os.File
	Header    Header
	Duration  time.Duration
	Snapshots []Mark
	Slides    map[string]Mark // hash -> the slide's record
	Truncated bool            // the recorder stopped in the middle of a record
}

// Open reads the recording at path once to index it.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	rd, err := NewReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	rf := &File{f: f, Header: rd.Header, Slides: map[string]Mark{}}
	for {
		off := rd.Offset()
		r, err := rd.Next()
		if err == io.EOF {
			break
		}
		if errors.Is(err, ErrTruncated) {
			rf.Truncated = true
			break
		}
		if err != nil {
			f.Close()
			return nil, err
		}
		rf.Duration = r.At
		switch r.Kind {
		case Snapshot:
			rf.Snapshots = append(rf.Snapshots, Mark{r.At, off})
		case Slide:
			rf.Slides[string(r.Payload[:64])] = Mark{r.At, off}
		}
	}
	return rf, nil
}

// Close closes the file.
func (rf *File) Close() error { return rf.f.Close() }

// From returns a reader that starts at the last snapshot at or before at
// (or at the beginning when there is none): a player applies the snapshot
// and the events after it until at, then plays on.
func (rf *File) From(at time.Duration) (*Reader, error) {
	i := sort.Search(len(rf.Snapshots), func(i int) bool { return rf.Snapshots[i].At > at })
	if i == 0 {
		return rf.readerAt(-1)
	}
	return rf.readerAt(rf.Snapshots[i-1].Offset)
}

// readerAt returns a reader positioned at offset (-1: the first record).
// Each reader reads the file through its own section (ReadAt), so a player
// can read slides while another reader plays on.
func (rf *File) readerAt(offset int64) (*Reader, error) {
	rd, err := NewReader(io.NewSectionReader(rf.f, 0, 1<<62))
	if err != nil || offset < 0 {
		return rd, err
	}
	rd.r = bufio.NewReaderSize(io.NewSectionReader(rf.f, offset, 1<<62), 64<<10)
	rd.off = offset
	return rd, nil
}

// Slide returns the bytes of the slide with hash.
func (rf *File) Slide(hash string) ([]byte, error) {
	m, ok := rf.Slides[hash]
	if !ok {
		return nil, fmt.Errorf("recording: no slide %s", hash)
	}
	rd, err := rf.readerAt(m.Offset)
	if err != nil {
		return nil, err
	}
	r, err := rd.Next()
	if err != nil {
		return nil, err
	}
	return r.Payload[64:], nil
}
