// Package deck turns image and PDF files into the slides of a lesson's
// board: normalised pages (at most relay.MaxDeckPages, fitted into
// MaxWidth x MaxHeight, never upscaled, encoded as the smaller of JPEG and
// PNG), each named by the SHA-256 of its bytes so that a slide travels once
// and is cached by that hash (docs/classroom-protocol.md, "Slides").
package deck

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"

	"qiao/classroom/relay"

	"golang.org/x/image/bmp"
	"golang.org/x/image/draw"
)

// Limits of a slide page and of an imported file.
const (
	MaxWidth     = 1280     // a slide's largest width in pixels
	MaxHeight    = 960      // a slide's largest height in pixels
	MaxFileBytes = 64 << 20 // the largest file Import reads
	// MaxSourcePixels bounds the decoded size of a source image (a small
	// file may claim a huge canvas: a decompression bomb).
	MaxSourcePixels = 40 << 20
	jpegQuality     = 80
)

// Page is one slide, ready to send.
type Page struct {
	Data   []byte // the encoded image (JPEG or PNG)
	Hash   string // lower-case hex SHA-256 of Data
	Type   string // "image/jpeg" or "image/png"
	Width  int
	Height int
}

// Code says why a file could not be imported; the UI maps it to the
// translation key "classroom.deck.err." + Code.
type Code string

const (
	ErrEmpty        Code = "empty"     // the file has no bytes
	ErrTooLarge     Code = "too_large" // over MaxFileBytes, or an image over MaxSourcePixels
	ErrUnknown      Code = "unknown"   // neither a PDF nor an image this package reads
	ErrImage        Code = "image"     // an image file that cannot be decoded
	ErrPDF          Code = "pdf"       // a PDF that cannot be read
	ErrEncrypted    Code = "encrypted" // a PDF protected by a password
	ErrTooManyPages Code = "too_many"  // more than relay.MaxDeckPages pages
	ErrNoPages      Code = "no_pages"  // a PDF without pages
	ErrRead         Code = "read"      // the file cannot be read from disk
)

// Error is an import failure with its Code.
type Error struct {
	Code Code
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return "deck: " + string(e.Code)
	}
	return "deck: " + string(e.Code) + ": " + e.Err.Error()
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
	if format == "" {
		return &Error{Code: c}
	}
	return &Error{Code: c, Err: fmt.Errorf(format, a...)}
}

// Import reads the file at path (an image or a PDF) and returns its pages.
func Import(path string) ([]Page, error) {
	b, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return ImportBytes(b)
}

// readFile reads a file of at most MaxFileBytes.
func readFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, &Error{Code: ErrRead, Err: err}
	}
	if st.Size() > MaxFileBytes {
		return nil, fail(ErrTooLarge, "%d bytes, limit %d", st.Size(), MaxFileBytes)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Code: ErrRead, Err: err}
	}
	return b, nil
}

// ImportBytes is Import for a file already in memory.
func ImportBytes(b []byte) ([]Page, error) { return importBytes(b, false) }

// FirstPage renders only the first page of the image or PDF at path, for a
// preview: a PDF of any number of pages is fine.
func FirstPage(path string) (Page, error) {
	b, err := readFile(path)
	if err != nil {
		return Page{}, err
	}
	pages, err := importBytes(b, true)
	if err != nil {
		return Page{}, err
	}
	return pages[0], nil
}

func importBytes(b []byte, first bool) ([]Page, error) {
	switch {
	case len(b) == 0:
		return nil, fail(ErrEmpty, "")
	case len(b) > MaxFileBytes:
		return nil, fail(ErrTooLarge, "%d bytes, limit %d", len(b), MaxFileBytes)
	case isPDF(b):
		return importPDF(b, first)
	}
	img, err := decodeImage(b)
	if err != nil {
		return nil, err
	}
	p, err := Normalise(img)
	if err != nil {
		return nil, err
	}
	return []Page{p}, nil
}

func isPDF(b []byte) bool {
	// PDF readers accept the header within the first 1024 bytes.
	head := b[:min(len(b), 1024)]
	return bytes.Contains(head, []byte("%PDF-"))
}

var decoders = map[string]func([]byte) (image.Image, error){
	"png":  func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) },
	"jpeg": func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) },
	"gif":  func(b []byte) (image.Image, error) { return gif.Decode(bytes.NewReader(b)) },
	"bmp":  func(b []byte) (image.Image, error) { return bmp.Decode(bytes.NewReader(b)) },
}

func decodeImage(b []byte) (image.Image, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	dec := decoders[format]
	if err != nil || dec == nil {
		if format != "" || sniffImage(b) {
			return nil, fail(ErrImage, "%v", err)
		}
		return nil, fail(ErrUnknown, "")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fail(ErrImage, "image of %dx%d pixels", cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxSourcePixels {
		return nil, fail(ErrTooLarge, "image of %dx%d pixels", cfg.Width, cfg.Height)
	}
	img, err := dec(b)
	if err != nil {
		return nil, fail(ErrImage, "%v", err)
	}
	return img, nil
}

// sniffImage tells an image signature whose header did not parse.
func sniffImage(b []byte) bool {
	for _, sig := range []string{"\x89PNG", "\xff\xd8", "GIF8", "BM"} {
		if bytes.HasPrefix(b, []byte(sig)) {
			return true
		}
	}
	return false
}

// Normalise fits img into MaxWidth x MaxHeight (never upscaling), puts it
// on white (slides have no transparency) and encodes it as the smaller of
// JPEG and PNG.
func Normalise(img image.Image) (Page, error) {
	b := img.Bounds()
	w, h := fit(b.Dx(), b.Dy())
	if w == 0 || h == 0 {
		return Page{}, fail(ErrImage, "empty image")
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	if w == b.Dx() && h == b.Dy() {
		draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Over)
	} else {
		draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Over, nil)
	}
	var jb, pb bytes.Buffer
	if err := jpeg.Encode(&jb, dst, &jpeg.Options{Quality: jpegQuality}); err != nil {
		return Page{}, fail(ErrImage, "%v", err)
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&pb, dst); err != nil {
		return Page{}, fail(ErrImage, "%v", err)
	}
	p := Page{Data: jb.Bytes(), Type: "image/jpeg", Width: w, Height: h}
	if pb.Len() < jb.Len() {
		p.Data, p.Type = pb.Bytes(), "image/png"
	}
	p.Hash = Hash(p.Data)
	return p, nil
}

// Hash is the slide name of data: its lower-case hex SHA-256.
func Hash(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// fit scales w x h down to fit MaxWidth x MaxHeight, keeping the aspect.
func fit(w, h int) (int, int) {
	if w <= MaxWidth && h <= MaxHeight {
		return w, h
	}
	if w*MaxHeight > h*MaxWidth { // wider than 4:3
		return MaxWidth, max(1, h*MaxWidth/w)
	}
	return max(1, w*MaxHeight/h), MaxHeight
}

// maxPages is the most pages a deck holds.
const maxPages = relay.MaxDeckPages
