package district

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"qiao/content"
)

// Files: attachments and other files travel by content hash, in chunks,
// resumable both ways (docs/sync-protocol.md, "Files").
const (
	// MaxFileBytes bounds one file.
	MaxFileBytes = 2 << 30
	// MaxChunkBytes bounds one upload request's body.
	MaxChunkBytes = 4 << 20
	// HeaderUploadOffset tells how many bytes of an upload the server holds.
	HeaderUploadOffset = "Qiao-Upload-Offset"
	// FilesDir is the server's content store inside its data directory.
	FilesDir = "files"
	// partialKeep is how long an abandoned partial upload is kept.
	partialKeep = 14 * 24 * time.Hour
)

// fileServer serves /v1/files; it opens DATA/files on first use.
type fileServer struct {
	s    *Server
	once sync.Once
	st   *content.Store
	err  error
}

func (s *Server) newFileServer() *fileServer { return &fileServer{s: s} }

// OpenFiles opens the district's content store, DATA/files: where uploads
// (and imported resource packs) are stored by hash.
func OpenFiles(dataDir string) (*content.Store, error) {
	return content.Open(filepath.Join(dataDir, FilesDir))
}

func (fs *fileServer) store() (*content.Store, error) {
	fs.once.Do(func() {
		fs.st, fs.err = OpenFiles(fs.s.cfg.DataDir)
		if fs.err == nil {
			if n, err := fs.st.SweepPartials(partialKeep); err != nil {
				slog.Warn("files: sweeping old partial uploads", "err", err)
			} else if n > 0 {
				slog.Info("files: removed abandoned partial uploads", "count", n)
			}
		}
	})
	return fs.st, fs.err
}

// FileVisible reports whether a device of school may read hash: it was
// uploaded for that school or district-wide.
func (d *DB) FileVisible(ctx context.Context, hash, school string) (bool, error) {
	var n int
	err := d.queryRow(ctx, `SELECT count(*) FROM file_scopes WHERE hash = ? AND (school_id = ? OR school_id = '')`, hash, school).Scan(&n)
	return n > 0, err
}

// addFile records that hash was uploaded for school (” = district-wide),
// in tx if not nil.
func (d *DB) addFile(ctx context.Context, tx *sql.Tx, hash, school string, size int64, device string, now time.Time) error {
	const q = `INSERT INTO file_scopes(hash, school_id, size, device_id, uploaded_at) VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING`
	var err error
	if tx == nil {
		_, err = d.exec(ctx, q, hash, school, size, device, now.Unix())
	} else {
		_, err = d.txExec(ctx, tx, q, hash, school, size, device, now.Unix())
	}
	return err
}

var errNoFile = &APIError{Status: http.StatusNotFound, Code: "not_found", Message: "the server has no file with this hash for this device's school"}

// prelude checks the hash and opens the store; it answers the error itself.
func (fs *fileServer) prelude(w http.ResponseWriter, r *http.Request) (Device, string, *content.Store, bool) {
	dev, _ := DeviceFrom(r.Context())
	hash := r.PathValue("hash")
	if !content.ValidHash(hash) {
		writeError(w, http.StatusBadRequest, "bad_hash", "a file is named by its SHA-256: 64 lower-case hex digits")
		return dev, "", nil, false
	}
	st, err := fs.store()
	if err != nil {
		slog.Error("files: open store", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the server cannot open its file store")
		return dev, "", nil, false
	}
	return dev, hash, st, true
}

// visible reports whether dev may read hash and the server holds it. A
// file of another school answers exactly like a missing one. With
// district set, only a district-wide file counts (an administrator's
// device checking before a district-wide upload).
func (fs *fileServer) visible(ctx context.Context, st *content.Store, dev Device, hash string, district bool) (bool, error) {
	var ok bool
	var err error
	if district {
		ok, err = fs.s.db.fileIn(ctx, hash, "")
	} else {
		ok, err = fs.s.db.FileVisible(ctx, hash, dev.SchoolID)
	}
	return ok && err == nil && st.Has(hash), err
}

// fileIn reports whether hash was uploaded for exactly school.
func (d *DB) fileIn(ctx context.Context, hash, school string) (bool, error) {
	var n int
	err := d.queryRow(ctx, `SELECT count(*) FROM file_scopes WHERE hash = ? AND school_id = ?`, hash, school).Scan(&n)
	return n > 0, err
}

// uploaded is how many bytes of hash this device has uploaded so far.
func uploaded(st *content.Store, dev Device, hash string) int64 {
	p, err := st.Partial(hash, dev.ID)
	if err != nil {
		return 0
	}
	n, _ := p.Size()
	return n
}

// get serves GET and HEAD /v1/files/{hash}[?district=1], with Range support. A miss
// (HEAD or GET) carries Qiao-Upload-Offset: the bytes of this device's
// unfinished upload of the hash the server holds.
func (fs *fileServer) get(w http.ResponseWriter, r *http.Request) {
	dev, hash, st, ok := fs.prelude(w, r)
	if !ok {
		return
	}
	vis, err := fs.visible(r.Context(), st, dev, hash, r.URL.Query().Get("district") == "1")
	if err != nil {
		slog.Error("files: lookup", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the server could not look the file up")
		return
	}
	if !vis {
		w.Header().Set(HeaderUploadOffset, strconv.FormatInt(uploaded(st, dev, hash), 10))
		writeJSON(w, errNoFile.Status, errNoFile)
		return
	}
	rc, err := st.Open(hash)
	if err != nil {
		writeJSON(w, errNoFile.Status, errNoFile)
		return
	}
	defer rc.Close()
	f := rc.(*os.File)
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	h.Set("ETag", `"`+hash+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(&progressWriter{ResponseWriter: w, rc: http.NewResponseController(w)}, r, "", time.Time{}, f)
}

// progressWriter moves the connection's write deadline forward on every
// write, so a large file over a slow link is cut only when it stalls, not
// by the server's overall WriteTimeout.
type progressWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
}

// stallTimeout is how long a download may make no progress.
const stallTimeout = 60 * time.Second

func (p *progressWriter) Write(b []byte) (int, error) {
	p.rc.SetWriteDeadline(time.Now().Add(stallTimeout))
	return p.ResponseWriter.Write(b)
}

// put appends a chunk to this device's upload of hash:
// PUT /v1/files/{hash}?offset=N[&final=1][&district=1].
func (fs *fileServer) put(w http.ResponseWriter, r *http.Request) {
	dev, hash, st, ok := fs.prelude(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	off, err := strconv.ParseInt(q.Get("offset"), 10, 64)
	if err != nil || off < 0 || q.Get("offset")[0] == '+' {
		writeError(w, http.StatusBadRequest, "bad_offset", "offset must be the byte position of the chunk (0 or more)")
		return
	}
	final := q.Get("final") == "1"
	scope := dev.SchoolID
	if q.Get("district") == "1" {
		if dev.Role != RoleDistrictAdmin {
			fs.s.refuse(w, r, dev, &APIError{Status: http.StatusForbidden, Code: "partition", Message: "only a district administrator's device may upload district-wide files"})
			return
		}
		scope = ""
	}
	if r.ContentLength > MaxChunkBytes {
		writeError(w, http.StatusRequestEntityTooLarge, "chunk_too_large", "an upload chunk may be at most "+strconv.Itoa(MaxChunkBytes>>20)+" MiB")
		return
	}
	ctx := r.Context()
	have, err := fs.s.db.fileIn(ctx, hash, scope)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", "the server could not look the file up")
		return
	}
	if have && st.Has(hash) {
		// Already there (e.g. the answer to the final chunk was lost).
		writeJSON(w, http.StatusOK, FileUpload{Offset: -1, Complete: true})
		return
	}
	p, err := st.Partial(hash, dev.ID)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_device", "this device's id cannot name an upload")
		return
	}
	n, err := p.Append(off, r.Body, MaxFileBytes)
	var oe *content.OffsetError
	switch {
	case errors.As(err, &oe):
		w.Header().Set(HeaderUploadOffset, strconv.FormatInt(oe.Have, 10))
		writeJSON(w, http.StatusConflict, &APIError{Code: "offset_mismatch", Message: "the server holds " + strconv.FormatInt(oe.Have, 10) + " bytes of this upload; send from there"})
		return
	case errors.Is(err, content.ErrTooLarge):
		p.Remove()
		fs.s.refuse(w, r, dev, &APIError{Status: http.StatusRequestEntityTooLarge, Code: "file_too_large", Message: "a file may be at most " + strconv.Itoa(MaxFileBytes>>30) + " GiB; the upload was discarded"})
		return
	case err != nil:
		slog.Error("files: append", "device", dev.ID, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the server could not store the chunk; resume from "+HeaderUploadOffset)
		return
	}
	w.Header().Set(HeaderUploadOffset, strconv.FormatInt(n, 10))
	if !final {
		writeJSON(w, http.StatusOK, FileUpload{Offset: n})
		return
	}
	ref, err := p.Commit()
	if errors.Is(err, content.ErrHashMismatch) {
		w.Header().Set(HeaderUploadOffset, "0")
		fs.s.refuse(w, r, dev, &APIError{Status: http.StatusUnprocessableEntity, Code: "hash_mismatch", Message: "the uploaded bytes do not have hash " + hash + "; the upload was discarded"})
		return
	}
	if err == nil {
		err = fs.s.db.addFile(ctx, nil, hash, scope, ref.Size, dev.ID, fs.s.now())
	}
	if err != nil {
		slog.Error("files: commit", "device", dev.ID, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the server could not store the file; upload it again")
		return
	}
	slog.Info("file uploaded", "hash", hash, "size", ref.Size, "device", dev.ID, "school", scope)
	writeJSON(w, http.StatusCreated, FileUpload{Offset: ref.Size, Complete: true})
}

// FileUpload answers an upload chunk.
type FileUpload struct {
	Offset   int64 `json:"offset"`   // bytes the server holds (-1 when Complete from before)
	Complete bool  `json:"complete"` // the file is stored and readable by the device's partition
}
