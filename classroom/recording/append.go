package recording

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"qiao/classroom/relay"
)

// AppendGap is the pause a replay makes where a recording was taken up
// again (Append): the time the app was down is not recorded.
const AppendGap = time.Second

// Append reopens the recording at path to record more of the same lesson
// (an app that stopped during it and resumes it): a torn last record is cut
// off, and the timeline goes on AppendGap after the last record, so the
// times given to the writer start again from 0. It also returns the lesson
// state at the recording's end (what a player shows there), which a
// Recorder keeping the state itself starts from (RecorderConfig.Initial).
// A damaged recording is refused and left as it was.
func Append(path string) (*Writer, relay.State, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, relay.State{}, fmt.Errorf("recording: %w", err)
	}
	w, st, err := appendTo(f)
	if err != nil {
		f.Close()
		return nil, relay.State{}, err
	}
	return w, st, nil
}

func appendTo(f *os.File) (*Writer, relay.State, error) {
	var st relay.State
	rd, err := NewReader(f)
	if err != nil {
		return nil, st, err
	}
	w := &Writer{f: f, slides: map[string]bool{}}
	some := false
	end := rd.Offset()
	for {
		r, err := rd.Next()
		if err == io.EOF || errors.Is(err, ErrTruncated) {
			break
		}
		if err != nil {
			return nil, st, err
		}
		end, w.last, some = rd.Offset(), r.At, true
		if r.Kind == Slide {
			w.slides[string(r.Payload[:64])] = true
		}
		applyRecord(&st, r)
	}
	if err := f.Truncate(end); err != nil {
		return nil, st, fmt.Errorf("recording: %w", err)
	}
	if _, err := f.Seek(end, io.SeekStart); err != nil {
		return nil, st, fmt.Errorf("recording: %w", err)
	}
	if some {
		w.base = w.last + AppendGap
	}
	w.w = bufio.NewWriterSize(f, 64<<10)
	return w, st, nil
}

// applyRecord folds a snapshot or event record into st, as a player does;
// other records, and payloads that do not decode, change nothing.
func applyRecord(st *relay.State, r Record) {
	switch r.Kind {
	case Snapshot:
		var s relay.State
		if json.Unmarshal(r.Payload, &s) == nil {
			*st = s
		}
	case Event:
		var e relay.Event
		if json.Unmarshal(r.Payload, &e) == nil {
			st.Apply(e)
		}
	}
}
