package library

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"qiao/content"
)

// Resource packs carry part of the library on a USB drive: a folder with
// manifest.json and the files by hash under files/ (docs/resource-pack.md).

// Names inside a pack folder.
const (
	ManifestFile = "manifest.json"
	packFilesDir = "files"
)

// Manifest format and its limits; a manifest over any limit is refused.
const (
	PackFormat       = "qiao-resource-pack"
	PackVersion      = 1
	MaxManifestBytes = 32 << 20 // the manifest.json file
	MaxPackEntries   = 50_000
	MaxPackFileBytes = 64 << 30 // one file
	maxTitleBytes    = 512      // a pack's or entry's title
	maxFieldBytes    = 256      // every other text field
	maxTags          = 32
	maxTagBytes      = 64
	maxCreatedAt     = 1 << 40 // unix seconds, far beyond any real date
	checksumPrefix   = "sha256:"
)

// Sources are the values library_entries.source accepts (the kinds are
// Kinds, in library.go).
var Sources = []string{"district", "school", "teacher"}

// PackEntry is one catalogue entry as a pack carries it: every column of
// library_entries but the sync header's stamp and origin.
type PackEntry struct {
	ID         string   `json:"id"`
	SchoolID   string   `json:"school_id"` // "" for a district-wide entry
	Title      string   `json:"title"`
	Stage      string   `json:"stage"`
	Subject    string   `json:"subject"`
	Edition    string   `json:"edition"`
	Grade      int      `json:"grade"`
	Unit       string   `json:"unit"`
	Kind       string   `json:"kind"`
	Source     string   `json:"source"`
	FileName   string   `json:"file_name"`
	Size       int64    `json:"size"`
	Hash       string   `json:"hash"`
	Tags       []string `json:"tags"`
	UploadedBy string   `json:"uploaded_by"`
	Licence    string   `json:"licence"`
	LessonID   string   `json:"lesson_id"`
	CreatedAt  int64    `json:"created_at"`
}

// Manifest describes a pack. Its checksum is not a field: it covers the
// exact bytes of the manifest as written (see ParseManifest).
type Manifest struct {
	Format  string      `json:"format"`
	Version int         `json:"version"`
	Title   string      `json:"title"`   // e.g. "三年级语文 人教版"
	Created time.Time   `json:"created"` // RFC 3339, UTC
	Creator string      `json:"creator"` // school and person who made it
	Entries []PackEntry `json:"entries"`
}

// envelope is manifest.json: the manifest and the SHA-256 of its bytes.
type envelope struct {
	Checksum string          `json:"checksum"`
	Pack     json.RawMessage `json:"pack"`
}

// PackCode says why a pack, or one file of it, was refused; the UI maps
// it to the translation key "library.pack.err." + Code.
type PackCode string

const (
	PackNoManifest PackCode = "no_manifest" // the folder has no manifest.json: not a resource pack
	PackDamaged    PackCode = "damaged"     // manifest.json is not valid JSON or fails its checksum
	PackNewer      PackCode = "newer"       // made by a newer Qiao (format version)
	PackInvalid    PackCode = "invalid"     // a field breaks the format's rules (Err says which)
	PackTooLarge   PackCode = "too_large"   // over a limit (manifest size, entries, file size)
	PackMissing    PackCode = "missing"     // a file the manifest names is not in the pack
	PackCorrupt    PackCode = "corrupt"     // a file does not match its size or hash: refused
	PackRead       PackCode = "read"        // the pack cannot be read (drive pulled out?); import again to continue
	PackWrite      PackCode = "write"       // cannot write (disk full, read-only drive)
	PackEmpty      PackCode = "empty"       // an export selection that matches no entry with a file on this computer
	PackCancelled  PackCode = "cancelled"   // stopped by the user; import again to continue
)

// PackCodes lists every PackCode (each has a translation key).
var PackCodes = []PackCode{PackNoManifest, PackDamaged, PackNewer, PackInvalid, PackTooLarge,
	PackMissing, PackCorrupt, PackRead, PackWrite, PackEmpty, PackCancelled}

// PackError is a refused pack or file. Pack is the pack's title, Entry
// the title of the entry whose file failed and File its path in the pack
// (both empty when the whole pack is refused).
type PackError struct {
	Code  PackCode
	Pack  string
	Entry string
	File  string
	Err   error
}

func (e *PackError) Error() string {
	var b strings.Builder
	b.WriteString("library: pack")
	if e.Pack != "" {
		fmt.Fprintf(&b, " %q", e.Pack)
	}
	if e.Entry != "" || e.File != "" {
		fmt.Fprintf(&b, ": %q (%s)", e.Entry, e.File)
	}
	b.WriteString(": " + string(e.Code))
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *PackError) Unwrap() error { return e.Err }

// PackCodeOf is err's PackCode, or "" if err is not a *PackError.
func PackCodeOf(err error) PackCode {
	var e *PackError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func packErr(c PackCode, format string, a ...any) *PackError {
	return &PackError{Code: c, Err: fmt.Errorf(format, a...)}
}

// ReadManifest reads and parses a manifest of at most MaxManifestBytes.
func ReadManifest(r io.Reader) (*Manifest, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxManifestBytes+1))
	if err != nil {
		return nil, &PackError{Code: PackRead, Err: err}
	}
	return ParseManifest(b)
}

// ParseManifest checks and decodes manifest.json: valid UTF-8 JSON with
// no unknown fields and nothing after it, a checksum that matches the
// "pack" bytes, a known format and version, and entries within the
// limits (see checkEntry). Any failure refuses the whole manifest.
func ParseManifest(b []byte) (*Manifest, error) {
	if len(b) > MaxManifestBytes {
		return nil, packErr(PackTooLarge, "manifest.json is larger than %d bytes", MaxManifestBytes)
	}
	if !utf8.Valid(b) {
		return nil, packErr(PackDamaged, "manifest.json is not valid UTF-8")
	}
	var env envelope
	if err := strictJSON(b, &env); err != nil {
		return nil, packErr(PackDamaged, "manifest.json: %v", err)
	}
	if len(env.Pack) == 0 {
		return nil, packErr(PackDamaged, `manifest.json has no "pack"`)
	}
	sum := sha256.Sum256(env.Pack)
	if env.Checksum != checksumPrefix+hex.EncodeToString(sum[:]) {
		return nil, packErr(PackDamaged, "manifest.json does not match its checksum: copy the pack again")
	}
	// The version decides how to read the rest: look at it first.
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(env.Pack, &head); err != nil {
		return nil, packErr(PackDamaged, "manifest.json: %v", err)
	}
	if head.Format != PackFormat {
		return nil, packErr(PackInvalid, "format is %q, not %q", head.Format, PackFormat)
	}
	if head.Version > PackVersion {
		return nil, packErr(PackNewer, "format version %d; this Qiao reads version %d", head.Version, PackVersion)
	}
	if head.Version != PackVersion {
		return nil, packErr(PackInvalid, "format version %d is not valid", head.Version)
	}
	var m Manifest
	if err := strictJSON(env.Pack, &m); err != nil {
		return nil, packErr(PackDamaged, "manifest.json: %v", err)
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return &m, nil
}

// strictJSON decodes one JSON value into v, refusing unknown fields and
// anything but white space after it.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the end of the JSON value")
	}
	return nil
}

// check applies the format's rules to a decoded manifest.
func (m *Manifest) check() error {
	if err := checkText("title", m.Title, maxTitleBytes, true); err != nil {
		return err
	}
	if err := checkText("creator", m.Creator, maxFieldBytes, false); err != nil {
		return err
	}
	if m.Created.IsZero() {
		return packErr(PackInvalid, "created is missing")
	}
	if len(m.Entries) > MaxPackEntries {
		return packErr(PackTooLarge, "%d entries; at most %d", len(m.Entries), MaxPackEntries)
	}
	ids := make(map[string]bool, len(m.Entries))
	sizes := make(map[string]int64, len(m.Entries))
	for i := range m.Entries {
		e := &m.Entries[i]
		if err := e.check(); err != nil {
			var pe *PackError
			if errors.As(err, &pe) {
				pe.Err = fmt.Errorf("entry %d: %w", i+1, pe.Err)
			}
			return err
		}
		if ids[e.ID] {
			return packErr(PackInvalid, "entry %d: id %s appears twice", i+1, e.ID)
		}
		ids[e.ID] = true
		if s, ok := sizes[e.Hash]; ok && s != e.Size {
			return packErr(PackInvalid, "entry %d: file %s is listed with two sizes", i+1, e.Hash)
		}
		sizes[e.Hash] = e.Size
	}
	return nil
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// check applies the rules for one entry; they mirror library_entries'
// constraints, so a valid entry always inserts.
func (e *PackEntry) check() error {
	if !uuidRE.MatchString(e.ID) {
		return packErr(PackInvalid, "id %q is not a lower-case UUID", e.ID)
	}
	if e.SchoolID != "" && !uuidRE.MatchString(e.SchoolID) {
		return packErr(PackInvalid, "school_id %q is not a lower-case UUID", e.SchoolID)
	}
	if err := checkText("title", e.Title, maxTitleBytes, true); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{
		{"stage", e.Stage}, {"subject", e.Subject}, {"edition", e.Edition}, {"unit", e.Unit},
		{"uploaded_by", e.UploadedBy}, {"licence", e.Licence},
	} {
		if err := checkText(f.name, f.v, maxFieldBytes, false); err != nil {
			return err
		}
	}
	if e.Grade < 0 || e.Grade > 12 {
		return packErr(PackInvalid, "grade %d is not 0 to 12", e.Grade)
	}
	if !slices.Contains(Kinds, Kind(e.Kind)) {
		return packErr(PackInvalid, "kind %q is not one of %v", e.Kind, Kinds)
	}
	if !oneOf(e.Source, Sources) {
		return packErr(PackInvalid, "source %q is not one of %s", e.Source, strings.Join(Sources, ", "))
	}
	if err := checkText("file_name", e.FileName, maxFieldBytes, false); err != nil {
		return err
	}
	if strings.ContainsAny(e.FileName, `/\`) || e.FileName == "." || e.FileName == ".." {
		return packErr(PackInvalid, "file_name %q is not a plain file name", e.FileName)
	}
	if !content.ValidHash(e.Hash) {
		return packErr(PackInvalid, "hash %q is not 64 lower-case hex digits", e.Hash)
	}
	if e.Size < 0 {
		return packErr(PackInvalid, "size %d is negative", e.Size)
	}
	if e.Size > MaxPackFileBytes {
		return packErr(PackTooLarge, "size %d is over %d", e.Size, int64(MaxPackFileBytes))
	}
	if e.Tags == nil {
		return packErr(PackInvalid, "tags is missing (use [] for none)")
	}
	if len(e.Tags) > maxTags {
		return packErr(PackInvalid, "%d tags; at most %d", len(e.Tags), maxTags)
	}
	for _, t := range e.Tags {
		if err := checkText("tag", t, maxTagBytes, true); err != nil {
			return err
		}
	}
	if e.LessonID != "" && !uuidRE.MatchString(e.LessonID) {
		return packErr(PackInvalid, "lesson_id %q is not a lower-case UUID", e.LessonID)
	}
	if e.CreatedAt < 0 || e.CreatedAt > maxCreatedAt {
		return packErr(PackInvalid, "created_at %d is out of range", e.CreatedAt)
	}
	return nil
}

// checkText refuses text that is too long, has control characters or
// (when required) is empty.
func checkText(name, v string, max int, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return packErr(PackInvalid, "%s is empty", name)
	}
	if len(v) > max {
		return packErr(PackInvalid, "%s is longer than %d bytes", name, max)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return packErr(PackInvalid, "%s has a control character", name)
		}
	}
	return nil
}

func oneOf(v string, set []string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

// EncodeManifest checks m and returns manifest.json's bytes.
func EncodeManifest(m *Manifest) ([]byte, error) {
	m.Format, m.Version = PackFormat, PackVersion
	m.Created = m.Created.UTC().Truncate(time.Second)
	if err := m.check(); err != nil {
		return nil, err
	}
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	// Written by hand: encoding/json would re-format the raw "pack" bytes
	// the checksum covers.
	sum := sha256.Sum256(body)
	var out bytes.Buffer
	fmt.Fprintf(&out, "{\n\"checksum\": \"%s%x\",\n\"pack\": ", checksumPrefix, sum)
	out.Write(body)
	out.WriteString("\n}\n")
	return out.Bytes(), nil
}

// PackPath is where a file lives inside a pack, with forward slashes
// (an fs.FS path).
func PackPath(hash string) string { return packFilesDir + "/" + hash[:2] + "/" + hash[2:] }
