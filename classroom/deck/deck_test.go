package deck

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-pdf/fpdf"
)

// testImage is w x h with a red left half and a blue right half.
func testImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{200, 20, 20, 255}
			if x >= w/2 {
				c = color.RGBA{20, 20, 200, 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

func decodePage(t *testing.T, p Page) image.Image {
	t.Helper()
	if p.Hash != Hash(p.Data) || len(p.Hash) != 64 {
		t.Fatalf("hash %q does not name the data", p.Hash)
	}
	img, format, err := image.Decode(bytes.NewReader(p.Data))
	if err != nil {
		t.Fatal(err)
	}
	if "image/"+format != p.Type {
		t.Fatalf("type %s, data is %s", p.Type, format)
	}
	if img.Bounds().Dx() != p.Width || img.Bounds().Dy() != p.Height {
		t.Fatalf("page says %dx%d, image is %v", p.Width, p.Height, img.Bounds())
	}
	return img
}

func near(c color.Color, r, g, b uint8) bool {
	cr, cg, cb, _ := c.RGBA()
	d := func(a uint32, b uint8) bool { return int(a>>8)-int(b) < 40 && int(b)-int(a>>8) < 40 }
	return d(cr, r) && d(cg, g) && d(cb, b)
}

func TestImageFormats(t *testing.T) {
	src := testImage(2560, 1440) // 16:9, twice the slide width
	enc := map[string]func(*bytes.Buffer) error{
		"png":  func(b *bytes.Buffer) error { return png.Encode(b, src) },
		"jpeg": func(b *bytes.Buffer) error { return jpeg.Encode(b, src, nil) },
		"gif":  func(b *bytes.Buffer) error { return gif.Encode(b, src, nil) },
	}
	for name, e := range enc {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := e(&b); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "slide."+name)
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			pages, err := Import(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(pages) != 1 || pages[0].Width != 1280 || pages[0].Height != 720 {
				t.Fatalf("got %d pages, first %dx%d; want one of 1280x720", len(pages), pages[0].Width, pages[0].Height)
			}
			img := decodePage(t, pages[0])
			if !near(img.At(100, 360), 200, 20, 20) || !near(img.At(1180, 360), 20, 20, 200) {
				t.Fatalf("pixels %v %v: the picture did not survive", img.At(100, 360), img.At(1180, 360))
			}
		})
	}
}

func TestSmallImageNotUpscaled(t *testing.T) {
	var b bytes.Buffer
	_ = png.Encode(&b, testImage(300, 200))
	pages, err := ImportBytes(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if pages[0].Width != 300 || pages[0].Height != 200 {
		t.Fatalf("got %dx%d, want 300x200", pages[0].Width, pages[0].Height)
	}
	if pages[0].Type != "image/png" { // two flat colours: PNG is smaller
		t.Fatalf("type %s, want the smaller PNG", pages[0].Type)
	}
	decodePage(t, pages[0])
}

// testPDF writes n A4 landscape pages, each with a large black box.
func testPDF(t *testing.T, n int, password string) []byte {
	t.Helper()
	f := fpdf.New("L", "mm", "A4", "")
	if password != "" {
		f.SetProtection(fpdf.CnProtectPrint, password, "owner")
	}
	for i := range n {
		f.AddPage()
		f.SetFillColor(0, 0, 0)
		f.Rect(20, 20, 100+float64(i)*10, 100, "F")
		f.SetFont("Helvetica", "", 24)
		f.Text(150, 150, "Slide")
	}
	var b bytes.Buffer
	if err := f.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPDF(t *testing.T) {
	t.Cleanup(func() { _ = Close() })
	pages, err := ImportBytes(testPDF(t, 3, ""))
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 3 {
		t.Fatalf("%d pages, want 3", len(pages))
	}
	seen := map[string]bool{}
	for _, p := range pages {
		// A4 landscape (297x210 mm) fitted into 1280x960: 1280 wide.
		if p.Width != 1280 || p.Height < 900 || p.Height > 910 {
			t.Fatalf("page %dx%d, want 1280x~905", p.Width, p.Height)
		}
		img := decodePage(t, p)
		// 40 mm in, inside the black box; the far corner is white paper.
		if !near(img.At(200, 200), 0, 0, 0) || !near(img.At(1270, 895), 255, 255, 255) {
			t.Fatalf("pixels %v %v: not the rendered page", img.At(200, 200), img.At(1270, 895))
		}
		seen[p.Hash] = true
	}
	if len(seen) != 3 {
		t.Fatalf("pages differ, yet %d distinct hashes", len(seen))
	}
}

func TestRefused(t *testing.T) {
	t.Cleanup(func() { _ = Close() })
	var pngB bytes.Buffer
	_ = png.Encode(&pngB, testImage(64, 64))
	// A PNG header that claims 100000 x 100000 pixels.
	bomb := append([]byte(nil), pngB.Bytes()...)
	copy(bomb[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	binary.BigEndian.PutUint32(bomb[29:33], crc32.ChecksumIEEE(bomb[12:29]))
	good := testPDF(t, 2, "")
	cases := map[string]struct {
		b    []byte
		want Code
	}{
		"empty":          {nil, ErrEmpty},
		"text":           {[]byte("hello, this is not a slide"), ErrUnknown},
		"truncated png":  {pngB.Bytes()[:len(pngB.Bytes())/2], ErrImage},
		"png header":     {pngB.Bytes()[:8], ErrImage},
		"bomb":           {bomb, ErrTooLarge},
		"truncated pdf":  {good[:len(good)/3], ErrPDF},
		"pdf header":     {[]byte("%PDF-1.4\n%%EOF\n"), ErrPDF},
		"encrypted pdf":  {testPDF(t, 1, "secret"), ErrEncrypted},
		"too many pages": {testPDF(t, maxPages+1, ""), ErrTooManyPages},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			pages, err := ImportBytes(c.b)
			if CodeOf(err) != c.want || pages != nil {
				t.Fatalf("got %d pages, error %v; want code %s", len(pages), err, c.want)
			}
		})
	}
	if _, err := Import(filepath.Join(t.TempDir(), "missing.png")); CodeOf(err) != ErrRead {
		t.Fatalf("missing file: %v", err)
	}
}

func FuzzImportImage(f *testing.F) {
	for _, e := range []func(*bytes.Buffer, image.Image) error{
		func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) },
		func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, nil) },
		func(b *bytes.Buffer, m image.Image) error { return gif.Encode(b, m, nil) },
	} {
		var b bytes.Buffer
		_ = e(&b, testImage(40, 30))
		f.Add(b.Bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if isPDF(b) {
			return // PDFs go through the wasm renderer: TestRefused covers them
		}
		pages, err := ImportBytes(b)
		if err != nil {
			if CodeOf(err) == "" || pages != nil {
				t.Fatalf("untyped error or pages with an error: %v", err)
			}
			return
		}
		if len(pages) != 1 || pages[0].Width > MaxWidth || pages[0].Height > MaxHeight || pages[0].Hash != Hash(pages[0].Data) {
			t.Fatalf("bad page %dx%d", pages[0].Width, pages[0].Height)
		}
	})
}

// Every error code has its message in both languages.
func TestCodesTranslated(t *testing.T) {
	for _, lang := range []string{"zh-Hans", "en"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "assets", "translations", lang+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, c := range []Code{ErrEmpty, ErrTooLarge, ErrUnknown, ErrImage, ErrPDF, ErrEncrypted, ErrTooManyPages, ErrNoPages, ErrRead} {
			if m["classroom.deck.err."+string(c)] == "" {
				t.Errorf("%s: no message for classroom.deck.err.%s", lang, c)
			}
		}
	}
}

// A library preview renders only the first page, of a PDF of any length.
func TestFirstPageOfLongPDF(t *testing.T) {
	t.Cleanup(func() { _ = Close() })
	dir := t.TempDir()
	long := filepath.Join(dir, "long.pdf")
	if err := os.WriteFile(long, testPDF(t, maxPages+5, ""), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Import(long); CodeOf(err) != ErrTooManyPages {
		t.Fatalf("deck import: %v, want too many pages", err)
	}
	p, err := FirstPage(long)
	if err != nil {
		t.Fatal(err)
	}
	short, err := ImportBytes(testPDF(t, 3, ""))
	if err != nil {
		t.Fatal(err)
	}
	if p.Hash != short[0].Hash {
		t.Fatalf("first page %s, want %s (page 1 of the same slides)", p.Hash, short[0].Hash)
	}
	empty := filepath.Join(dir, "empty.pdf")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := FirstPage(empty); CodeOf(err) != ErrEmpty {
		t.Fatalf("empty file: %v", err)
	}
}
