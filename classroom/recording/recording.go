// Package recording is the lesson recording file (录播): one file holding
// the voice (Opus packets as they went out), the board and lesson events,
// snapshots of the lesson state for seeking, and every slide once, by
// content hash — everything a replay needs, offline, from a USB stick or
// the sync's file transfer.
//
// Snapshots are a seeking aid, never needed to replay from the start. Each
// holds the whole state (all the ink so far), so the Recorder takes them
// sparingly enough that they stay a small share of the file however long
// the lesson, and densely enough that a seek replays little (see Recorder;
// measured in docs/BENCHMARKS.md). That is the writer's policy, not the
// format: files written with a snapshot every 30 s read and seek the same.
//
// A lesson resumed after a crash goes on in the same file (Append), on one
// timeline: its records continue AppendGap after the last one.
//
// Layout: the magic line "QIAO-RECORDING 1\n", one line of JSON header,
// then records until the end of the file. A record is
//
//	kind (1 byte) · at (uvarint, milliseconds since the lesson started) ·
//	length (uvarint) · payload (length bytes)
//
// Records are written in time order. A file cut short by a crash is still
// readable up to its last whole record. Readers bound every length.
package recording

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Magic starts every recording.
const Magic = "QIAO-RECORDING 1\n"

// Kinds of record.
const (
	Audio    byte = 1 // an Opus packet of the lesson's voice
	Event    byte = 2 // a lesson event (board, page, hand, quiz, chat) as JSON
	Snapshot byte = 3 // the whole lesson state as JSON, for seeking
	Slide    byte = 4 // a slide: 64 hex characters of SHA-256, then its bytes
)

// Limits a reader enforces.
const (
	MaxHeader  = 16 << 10
	MaxPayload = 32 << 20 // a slide image; voice packets and events are small
)

// Header describes the lesson recorded.
type Header struct {
	LessonID string `json:"lesson_id"`
	Title    string `json:"title"`
	Subject  string `json:"subject"`
	Grade    int    `json:"grade"`
	School   string `json:"school"`
	// SchoolName is the host school's name when recorded, so a replay at
	// another school can say who taught.
	SchoolName string    `json:"school_name,omitempty"`
	Teacher    string    `json:"teacher"`
	Started    time.Time `json:"started"`
}

// Record is one record of a recording.
type Record struct {
	Kind    byte
	At      time.Duration // since the lesson started, to the millisecond
	Payload []byte
}

// Writer appends records to a recording file.
type Writer struct {
	f      *os.File
	w      *bufio.Writer
	base   time.Duration // added to the times given (Append: after the recording's end)
	last   time.Duration // time of the last record in the file
	slides map[string]bool
	buf    [2 * binary.MaxVarintLen64]byte
}

// Create starts a recording at path with h.
func Create(path string, h Header) (*Writer, error) {
	hb, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	w := &Writer{f: f, w: bufio.NewWriterSize(f, 64<<10), slides: map[string]bool{}}
	w.w.WriteString(Magic)
	w.w.Write(hb)
	w.w.WriteByte('\n')
	return w, nil
}

// Add appends a record at time at (since the lesson started; for a writer
// from Append, since the append). Times never go backwards: an earlier time
// is written as the latest time so far.
func (w *Writer) Add(kind byte, at time.Duration, payload []byte) error {
	return w.put(kind, w.fileTime(at), payload)
}

// fileTime is the time in the file of a record added at at.
func (w *Writer) fileTime(at time.Duration) time.Duration {
	return max(at.Truncate(time.Millisecond)+w.base, w.last)
}

// put appends a record at file time at (at least w.last).
func (w *Writer) put(kind byte, at time.Duration, payload []byte) error {
	if kind < Audio || kind > Slide {
		return fmt.Errorf("recording: unknown record kind %d", kind)
	}
	if len(payload) > MaxPayload {
		return fmt.Errorf("recording: record of %d bytes, more than %d", len(payload), MaxPayload)
	}
	w.last = at
	n := binary.PutUvarint(w.buf[:], uint64(at/time.Millisecond))
	n += binary.PutUvarint(w.buf[n:], uint64(len(payload)))
	w.w.WriteByte(kind)
	w.w.Write(w.buf[:n])
	_, err := w.w.Write(payload)
	return err
}

// AddSlide stores a slide once; later calls with the same hash add nothing.
func (w *Writer) AddSlide(at time.Duration, hash string, data []byte) error {
	if len(hash) != 64 {
		return fmt.Errorf("recording: slide hash %q is not SHA-256 hex", hash)
	}
	if w.slides[hash] {
		return nil
	}
	w.slides[hash] = true
	return w.Add(Slide, at, append([]byte(hash), data...))
}

// Flush writes buffered records to the file (the recorder calls it every
// few seconds, so a crash loses at most those seconds).
func (w *Writer) Flush() error { return w.w.Flush() }

// Close flushes, syncs and closes the file.
func (w *Writer) Close() error {
	err := w.w.Flush()
	if serr := w.f.Sync(); err == nil {
		err = serr
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ErrNotRecording means a file does not start like a recording.
var ErrNotRecording = errors.New("recording: not a Qiao lesson recording")

// Reader reads records in order.
type Reader struct {
	r      *bufio.Reader
	Header Header
	last   time.Duration
	off    int64 // file offset of the next record
}

// Offset is the file offset of the next record.
func (rd *Reader) Offset() int64 { return rd.off }

// ReadByte reads one byte, counting it (io.ByteReader for the uvarints).
func (rd *Reader) ReadByte() (byte, error) {
	b, err := rd.r.ReadByte()
	if err == nil {
		rd.off++
	}
	return b, err
}

// NewReader reads the header of the recording in r.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic := make([]byte, len(Magic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != Magic {
		return nil, ErrNotRecording
	}
	line, err := readLine(br, MaxHeader)
	if err != nil {
		return nil, fmt.Errorf("recording: header: %w", err)
	}
	rd := &Reader{r: br, off: int64(len(Magic) + len(line) + 1)}
	if err := json.Unmarshal(line, &rd.Header); err != nil {
		return nil, fmt.Errorf("recording: header is not JSON: %w", err)
	}
	return rd, nil
}

func readLine(r *bufio.Reader, limit int) ([]byte, error) {
	var out []byte
	for {
		chunk, err := r.ReadSlice('\n')
		out = append(out, chunk...)
		if len(out) > limit {
			return nil, fmt.Errorf("longer than %d bytes", limit)
		}
		if err == nil {
			return bytes.TrimSuffix(out, []byte("\n")), nil
		}
		if err != bufio.ErrBufferFull {
			return nil, err
		}
	}
}

// ErrTruncated means the file ends inside a record (the recorder stopped
// while writing it); everything before it was read.
var ErrTruncated = errors.New("recording: the file ends inside a record")

// Next returns the next record; io.EOF at the clean end, ErrTruncated at
// a torn one.
func (rd *Reader) Next() (Record, error) {
	kind, err := rd.ReadByte()
	if err == io.EOF {
		return Record{}, io.EOF
	} else if err != nil {
		return Record{}, err
	}
	if kind < Audio || kind > Slide {
		return Record{}, fmt.Errorf("recording: unknown record kind %d", kind)
	}
	ms, err := binary.ReadUvarint(rd)
	if err != nil {
		return Record{}, truncated(err)
	}
	n, err := binary.ReadUvarint(rd)
	if err != nil {
		return Record{}, truncated(err)
	}
	if n > MaxPayload || ms > uint64(1<<40) {
		return Record{}, fmt.Errorf("recording: record of %d bytes at %d ms is out of bounds", n, ms)
	}
	at := time.Duration(ms) * time.Millisecond
	if at < rd.last {
		return Record{}, fmt.Errorf("recording: record at %v is before the previous one (%v)", at, rd.last)
	}
	rd.last = at
	p := make([]byte, n)
	if _, err := io.ReadFull(rd.r, p); err != nil {
		return Record{}, truncated(err)
	}
	rd.off += int64(n)
	if kind == Slide && len(p) < 64 {
		return Record{}, errors.New("recording: a slide record without its hash")
	}
	return Record{Kind: kind, At: at, Payload: p}, nil
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrTruncated
	}
	return err
}
