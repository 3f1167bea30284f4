package deck

import (
	"errors"
	"io"
	"sync"
	"time"

	"github.com/klippa-app/go-pdfium"
	pdferr "github.com/klippa-app/go-pdfium/errors"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
)

// PDF pages are rendered by PDFium compiled to WebAssembly and run by
// wazero (pure Go): no C library, and the Windows cross-build stays as it
// is. One instance is started on first use and serves every import, one at
// a time (an instance is single-threaded); Close stops it.
var pdf struct {
	mu   sync.Mutex
	pool pdfium.Pool
	inst pdfium.Pdfium
}

// pdfInstance starts PDFium once (pdf.mu held).
func pdfInstance() (pdfium.Pdfium, error) {
	if pdf.inst != nil {
		return pdf.inst, nil
	}
	// No file system: documents go in as bytes, and a hostile PDF must not
	// reach the disk (the library's default mounts "/").
	pool, err := webassembly.Init(webassembly.Config{MinIdle: 1, MaxIdle: 1, MaxTotal: 1,
		FSConfig: wazero.NewFSConfig(), Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		return nil, err
	}
	inst, err := pool.GetInstance(30 * time.Second)
	if err != nil {
		_ = pool.Close()
		return nil, err
	}
	pdf.pool, pdf.inst = pool, inst
	return inst, nil
}

// Warm starts the PDF renderer ahead of a likely import (while the user
// picks a file), so the import itself does not wait for it.
func Warm() {
	pdf.mu.Lock()
	defer pdf.mu.Unlock()
	_, _ = pdfInstance()
}

// Close stops the PDF renderer if it was started; a later import starts it again.
func Close() error {
	pdf.mu.Lock()
	defer pdf.mu.Unlock()
	if pdf.inst == nil {
		return nil
	}
	_ = pdf.inst.Close()
	err := pdf.pool.Close()
	pdf.pool, pdf.inst = nil, nil
	return err
}

// importPDF renders the pages of the PDF b: every page (refusing more than
// a deck may hold) when first is false, only the first page of a document
// of any length when it is true (a preview).
func importPDF(b []byte, first bool) ([]Page, error) {
	pdf.mu.Lock()
	defer pdf.mu.Unlock()
	inst, err := pdfInstance()
	if err != nil {
		return nil, fail(ErrPDF, "starting the PDF renderer: %v", err)
	}
	doc, err := inst.OpenDocument(&requests.OpenDocument{File: &b})
	if err != nil {
		if errors.Is(err, pdferr.ErrPassword) || errors.Is(err, pdferr.ErrSecurity) {
			return nil, fail(ErrEncrypted, "")
		}
		return nil, fail(ErrPDF, "%v", err)
	}
	defer func() { _, _ = inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc.Document}) }()
	count, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc.Document})
	if err != nil {
		return nil, fail(ErrPDF, "%v", err)
	}
	switch {
	case count.PageCount == 0:
		return nil, fail(ErrNoPages, "")
	case count.PageCount > maxPages && !first:
		return nil, fail(ErrTooManyPages, "%d pages, limit %d", count.PageCount, maxPages)
	}
	n := count.PageCount
	if first {
		n = 1
	}
	pages := make([]Page, 0, n)
	for i := range n {
		r, err := inst.RenderPageInPixels(&requests.RenderPageInPixels{
			Page:  requests.Page{ByIndex: &requests.PageByIndex{Document: doc.Document, Index: i}},
			Width: MaxWidth, Height: MaxHeight,
		})
		if err != nil {
			return nil, fail(ErrPDF, "page %d: %v", i+1, err)
		}
		p, err := Normalise(r.Result.Image)
		r.Cleanup()
		if err != nil {
			return nil, err
		}
		pages = append(pages, p)
	}
	return pages, nil
}
