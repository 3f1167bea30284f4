package syncproto

// Offline bundles carry changes on a USB stick between a school that has
// no network and the district: see "Offline bundles" in
// docs/sync-protocol.md. A bundle is
//
//	BundleMagic
//	header JSON (BundleHeader), one line ending in \n
//	gzip stream of JSON lines, one Change per line
//	trailer: "QIAO-SIG-1 " hex(sha256 of all of the above) " " base64(ed25519 signature) "\n"
//
// The signature is over bundleSigPrefix + the 32-byte hash. Readers verify
// the trailer over the whole file first and only then read the changes, in
// chunks, so memory stays bounded however large the bundle is.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Bundle kinds.
const (
	BundlePush   = "push"   // a device's changes, for the district
	BundleReturn = "return" // the district's rows for one device
)

const (
	// BundleMagic is the first line of every bundle file.
	BundleMagic = "QIAO-BUNDLE\n"
	// BundleVersion is the format version this code writes and reads.
	BundleVersion = 1
	// MaxBundleHeaderBytes bounds the header line.
	MaxBundleHeaderBytes = 16 << 10
	// MaxBundleChanges bounds the changes in one bundle.
	MaxBundleChanges = 10_000_000
	// maxBundleLine bounds one change's JSON line: its row data plus the
	// header fields around it.
	maxBundleLine = MaxRowBytes + 16<<10

	trailerPrefix   = "QIAO-SIG-1 "
	trailerLen      = len(trailerPrefix) + 64 + 1 + 88 + 1
	bundleSigPrefix = "qiao-bundle-v1\n"
)

// BundleHeader describes a bundle.
type BundleHeader struct {
	Kind    string    `json:"kind"`    // BundlePush or BundleReturn
	Version int       `json:"version"` // BundleVersion
	ID      string    `json:"id"`      // the bundle's own id (UUIDv7)
	Device  string    `json:"device"`  // the device that made (push) or receives (return) it
	School  string    `json:"school"`  // that device's school
	Created time.Time `json:"created"`
	Changes int64     `json:"changes"` // the number of change lines
	// From and Through bound the changes' sequence numbers, (From, Through]:
	// for a push bundle the device's change-log seqs, for a return bundle
	// the server's pull cursor before and after it.
	From    int64 `json:"from"`
	Through int64 `json:"through"`
	// PulledThrough (push) is the device's pull cursor when it made the
	// bundle: what it has received from the district.
	PulledThrough int64 `json:"pulled_through,omitempty"`
	// PushedThrough (return) is the highest change-log seq of the device
	// the district holds, for the device's push checkpoint.
	PushedThrough int64 `json:"pushed_through,omitempty"`
}

// Bundle errors; every error of ReadBundle wraps one of them.
var (
	// ErrBundleFormat: the file is not a bundle, is truncated, or breaks the format.
	ErrBundleFormat = errors.New("not a valid Qiao bundle")
	// ErrBundleChecksum: the content does not match its checksum (damaged or altered).
	ErrBundleChecksum = errors.New("the bundle is damaged or was altered (checksum mismatch)")
	// ErrBundleSignature: the signature is not the expected signer's.
	ErrBundleSignature = errors.New("the bundle's signature does not verify")
)

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBundleFormat}, args...)...)
}

// check validates a header's fields.
func (h *BundleHeader) check() error {
	switch {
	case h.Version != BundleVersion:
		return formatErr("format version %d, this version of Qiao reads version %d", h.Version, BundleVersion)
	case h.Kind != BundlePush && h.Kind != BundleReturn:
		return formatErr("unknown bundle kind %q", h.Kind)
	case !IsUUID(h.ID):
		return formatErr("bundle id %q is not a UUID", h.ID)
	case !IsUUID(h.Device):
		return formatErr("device %q is not a device id", h.Device)
	case !IsUUID(h.School):
		return formatErr("school %q is not a school id", h.School)
	case h.Created.IsZero():
		return formatErr("no creation time")
	case h.Changes < 0 || h.Changes > MaxBundleChanges:
		return formatErr("%d changes, at most %d", h.Changes, MaxBundleChanges)
	case h.From < 0 || h.Through < h.From:
		return formatErr("sequence range (%d, %d] is not a range", h.From, h.Through)
	case h.PulledThrough < 0 || h.PushedThrough < 0:
		return formatErr("negative checkpoint")
	}
	return nil
}

// bundleSigned is what a bundle's signature is over.
func bundleSigned(sum []byte) []byte { return append([]byte(bundleSigPrefix), sum...) }

// signTrailer returns the trailer for content with SHA-256 digest.
func signTrailer(key ed25519.PrivateKey, digest []byte) string {
	sig := ed25519.Sign(key, bundleSigned(digest))
	return trailerPrefix + hex.EncodeToString(digest) + " " + base64.StdEncoding.EncodeToString(sig) + "\n"
}

// WriteBundle writes a signed bundle to path, replacing it atomically
// (the file appears complete or not at all). fill adds the changes, in
// chunks and in increasing Seq order, with add, and returns the header;
// WriteBundle sets its Version and Changes. Every change is validated, so
// a written bundle is one ReadBundle accepts.
func WriteBundle(path string, key ed25519.PrivateKey, fill func(add func([]Change) error) (BundleHeader, error)) (BundleHeader, error) {
	dir := filepath.Dir(path)
	body, err := os.CreateTemp(dir, ".qiao-bundle-body-*")
	if err != nil {
		return BundleHeader{}, err
	}
	defer os.Remove(body.Name())
	defer body.Close()
	var n int64
	var seqs []int64 // first and last
	zw, _ := gzip.NewWriterLevel(body, gzip.BestSpeed)
	bw := bufio.NewWriterSize(zw, 64<<10)
	enc := json.NewEncoder(bw)
	h, err := fill(func(cs []Change) error {
		for i := range cs {
			if err := cs[i].Validate(); err != nil {
				return fmt.Errorf("bundle change %d: %w", n+1, err)
			}
			if len(seqs) > 0 && cs[i].Seq <= seqs[1] {
				return fmt.Errorf("bundle change %d: sequence number %d after %d", n+1, cs[i].Seq, seqs[1])
			}
			if err := enc.Encode(&cs[i]); err != nil {
				return err
			}
			if len(seqs) == 0 {
				seqs = []int64{cs[i].Seq, cs[i].Seq}
			}
			seqs[1] = cs[i].Seq
			n++
		}
		return nil
	})
	if err != nil {
		return BundleHeader{}, err
	}
	if err := bw.Flush(); err != nil {
		return BundleHeader{}, err
	}
	if err := zw.Close(); err != nil {
		return BundleHeader{}, err
	}
	h.Version, h.Changes = BundleVersion, n
	if err := h.check(); err != nil {
		return BundleHeader{}, err
	}
	if len(seqs) > 0 && (seqs[0] <= h.From || seqs[1] > h.Through) {
		return BundleHeader{}, fmt.Errorf("syncproto: changes %d..%d outside the header's range (%d, %d]", seqs[0], seqs[1], h.From, h.Through)
	}
	head, err := json.Marshal(h)
	if err != nil {
		return BundleHeader{}, err
	}
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return BundleHeader{}, err
	}
	out, err := os.CreateTemp(dir, ".qiao-bundle-*")
	if err != nil {
		return BundleHeader{}, err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	sum := sha256.New()
	w := io.MultiWriter(out, sum)
	if _, err := io.WriteString(w, BundleMagic+string(head)+"\n"); err != nil {
		return BundleHeader{}, err
	}
	if _, err := io.Copy(w, body); err != nil {
		return BundleHeader{}, err
	}
	if _, err := io.WriteString(out, signTrailer(key, sum.Sum(nil))); err != nil {
		return BundleHeader{}, err
	}
	if err := out.Sync(); err != nil {
		return BundleHeader{}, err
	}
	if err := out.Close(); err != nil {
		return BundleHeader{}, err
	}
	if err := os.Rename(out.Name(), path); err != nil {
		return BundleHeader{}, err
	}
	return h, nil
}

// Bundle is a verified bundle, open for reading its changes.
type Bundle struct {
	r       io.ReaderAt
	Header  BundleHeader
	bodyOff int64 // where the gzip stream starts
	bodyEnd int64 // where the trailer starts
}

// ReadBundle verifies a bundle of size bytes: its format, its checksum,
// and its signature by the key that keyFor returns for its (not yet
// verified) header; keyFor refuses a header by returning an error, which
// ReadBundle returns as it is. It reads the whole file once, with bounded
// memory. The changes are then read with Changes.
func ReadBundle(r io.ReaderAt, size int64, keyFor func(BundleHeader) (ed25519.PublicKey, error)) (*Bundle, error) {
	if size < int64(len(BundleMagic)+trailerLen) {
		return nil, formatErr("the file is only %d bytes (truncated?)", size)
	}
	var magic [len(BundleMagic)]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil {
		return nil, formatErr("cannot read the start: %v", err)
	}
	if string(magic[:]) != BundleMagic {
		return nil, formatErr("the file does not start with %q", BundleMagic[:len(BundleMagic)-1])
	}
	b := &Bundle{r: r, bodyEnd: size - int64(trailerLen)}
	head := bufio.NewReaderSize(io.NewSectionReader(r, int64(len(BundleMagic)), min(b.bodyEnd-int64(len(BundleMagic)), MaxBundleHeaderBytes)), 4096)
	line, err := head.ReadSlice('\n')
	if err != nil {
		return nil, formatErr("no header line of at most %d bytes", MaxBundleHeaderBytes)
	}
	b.bodyOff = int64(len(BundleMagic) + len(line))
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b.Header); err != nil {
		return nil, formatErr("the header is not valid: %v", err)
	}
	if err := b.Header.check(); err != nil {
		return nil, err
	}
	var trailer [trailerLen]byte
	if _, err := r.ReadAt(trailer[:], b.bodyEnd); err != nil {
		return nil, formatErr("cannot read the signature: %v", err)
	}
	want, sig, ok := parseTrailer(trailer[:])
	if !ok {
		return nil, formatErr("the file does not end with a signature line (truncated?)")
	}
	sum := sha256.New()
	if _, err := io.Copy(sum, io.NewSectionReader(r, 0, b.bodyEnd)); err != nil {
		return nil, formatErr("cannot read the file: %v", err)
	}
	digest := sum.Sum(nil)
	if !bytes.Equal(digest, want) {
		return nil, ErrBundleChecksum
	}
	key, err := keyFor(b.Header)
	if err != nil {
		return nil, err
	}
	if len(key) != ed25519.PublicKeySize || !ed25519.Verify(key, bundleSigned(digest), sig) {
		return nil, ErrBundleSignature
	}
	return b, nil
}

// parseTrailer splits a trailer into the checksum and the signature.
func parseTrailer(t []byte) (sum, sig []byte, ok bool) {
	rest, found := bytes.CutPrefix(t, []byte(trailerPrefix))
	if !found || rest[64] != ' ' || rest[len(rest)-1] != '\n' {
		return nil, nil, false
	}
	sum, err := hex.DecodeString(string(rest[:64]))
	if err != nil {
		return nil, nil, false
	}
	sig, err = base64.StdEncoding.Strict().DecodeString(string(rest[65 : len(rest)-1]))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, nil, false
	}
	return sum, sig, true
}

// Changes reads the bundle's changes in order and calls f with chunks of
// at most chunk of them (f must not keep the slice). Each change is
// validated and must lie in the header's sequence range, in increasing
// order; the count must match the header's. An error stops the reading.
func (b *Bundle) Changes(chunk int, f func([]Change) error) error {
	chunk = max(1, min(chunk, MaxChanges))
	src := bufio.NewReaderSize(io.NewSectionReader(b.r, b.bodyOff, b.bodyEnd-b.bodyOff), 64<<10)
	zr, err := gzip.NewReader(src)
	if err != nil {
		return formatErr("the changes are not gzip-compressed: %v", err)
	}
	zr.Multistream(false)
	lines := bufio.NewReaderSize(zr, 64<<10)
	buf := make([]Change, 0, chunk)
	var n int64
	last := b.Header.From
	for {
		line, err := readLine(lines)
		if err == io.EOF {
			break
		}
		if err != nil {
			return formatErr("change %d: %v", n+1, err)
		}
		if n == b.Header.Changes {
			return formatErr("more changes than the %d the header announces", b.Header.Changes)
		}
		n++
		var c Change
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return formatErr("change %d is not valid JSON of a change: %v", n, err)
		}
		if dec.More() {
			return formatErr("change %d: data after the change", n)
		}
		if err := c.Validate(); err != nil {
			return formatErr("change %d: %v", n, err)
		}
		if c.Seq <= last || c.Seq > b.Header.Through {
			return formatErr("change %d: sequence number %d out of order or outside (%d, %d]", n, c.Seq, b.Header.From, b.Header.Through)
		}
		last = c.Seq
		buf = append(buf, c)
		if len(buf) == chunk {
			if err := f(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if n != b.Header.Changes {
		return formatErr("%d changes, the header announces %d (truncated?)", n, b.Header.Changes)
	}
	if _, err := src.ReadByte(); err != io.EOF {
		return formatErr("data after the changes")
	}
	if len(buf) > 0 {
		return f(buf)
	}
	return nil
}

// readLine reads one \n-terminated line of at most maxBundleLine bytes;
// io.EOF only at a clean end.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		part, err := r.ReadSlice('\n')
		if len(line)+len(part) > maxBundleLine {
			return nil, fmt.Errorf("a line longer than %d bytes", maxBundleLine)
		}
		switch {
		case err == nil && line == nil:
			return part, nil
		case err == nil:
			return append(line, part...), nil
		case errors.Is(err, bufio.ErrBufferFull):
			line = append(line, part...)
		case err == io.EOF && len(line)+len(part) == 0:
			return nil, io.EOF
		case err == io.EOF:
			return nil, errors.New("the last line is cut off (truncated?)")
		default:
			return nil, err
		}
	}
}

// OpenBundleFile opens and verifies the bundle in the file at path; close
// the returned file when done reading the changes.
func OpenBundleFile(path string, keyFor func(BundleHeader) (ed25519.PublicKey, error)) (*Bundle, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	b, err := ReadBundle(f, fi.Size(), keyFor)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return b, f, nil
}
