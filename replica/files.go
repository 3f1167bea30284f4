package replica

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"qiao/content"
	"qiao/district"
	"qiao/store"
)

// FileColumns is the one list of the synced columns that name a file by
// its SHA-256 (table → columns). Sync uploads the files such columns of
// this device's changes name, and downloads every file a live row names
// that the content store lacks. A new table with files adds its entry here.
var FileColumns = map[string][]string{
	"research_attachments": {"hash"},
	"research_outputs":     {"file_hash"},
	"classroom_lessons":    {"recording"}, // the lesson's recording (录播)
}

// checkpointFiles is the change-log seq through which the files named by
// this device's changes are on the district server (device-local meta).
const checkpointFiles = "sync.files_through"

// downloadTag names the app's partial downloads in the content store.
const downloadTag = "download"

// chunkUnit scales the adaptive batch size to an upload chunk: 20…2000
// units make 40 KiB…3.9 MiB (under district.MaxChunkBytes), first 1 MiB.
// A cut loses the chunk in flight (the server takes a chunk whole or not
// at all), so chunks aim at a quarter of a batch's time: chunkPace.
const (
	chunkUnit = 2 << 10
	chunkPace = 4
)

// fileHashes returns the file hashes a change's row names.
func fileHashes(c changeRow) []string {
	cols := FileColumns[c.table]
	if len(cols) == 0 || c.deleted {
		return nil
	}
	var row map[string]any
	if json.Unmarshal(c.data, &row) != nil {
		return nil
	}
	var out []string
	for _, col := range cols {
		if h, _ := row[col].(string); content.ValidHash(h) {
			out = append(out, h)
		}
	}
	return out
}

type changeRow struct {
	table   string
	deleted bool
	data    []byte
}

// syncFiles uploads the files of this device's new changes the server
// lacks, then downloads the files rows name that this device lacks. Rows
// travel first, so a big file never holds up the rows behind it; a row
// whose file has not reached the server yet gets it on a later sync.
func (r *Replica) syncFiles(ctx context.Context, rep *Report) error {
	if err := r.uploadFiles(ctx, rep); err != nil {
		return err
	}
	return r.downloadFiles(ctx, rep)
}

// uploadFiles walks the change log after checkpointFiles.
func (r *Replica) uploadFiles(ctx context.Context, rep *Report) error {
	through, err := r.st.Checkpoint(ctx, checkpointFiles)
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for {
		cs, err := r.st.ChangesAfter(ctx, through, 500)
		if err != nil || len(cs) == 0 {
			return err
		}
		for _, c := range cs {
			for _, h := range fileHashes(changeRow{c.Table, c.Deleted, c.Data}) {
				if done[h] {
					continue
				}
				if !r.Files.Has(h) {
					slog.Warn("replica: a row names a file this device does not have; not uploaded", "table", c.Table, "id", c.ID, "hash", h)
					continue
				}
				err := r.upload(ctx, h, c.SchoolID, rep)
				var se *ServerError
				if errors.As(err, &se) && se.Status != http.StatusUnauthorized && se.Status < 500 {
					// Refused for good (partition, size, damaged local file): say so, go on.
					slog.Warn("replica: file upload refused", "hash", h, "err", err)
				} else if err != nil {
					return err
				}
				done[h] = true
			}
		}
		last := cs[len(cs)-1].Seq
		if err := r.st.Update(ctx, func(tx *store.Tx) error { return tx.SetCheckpoint(checkpointFiles, last) }); err != nil {
			return err
		}
		through = last
	}
}

// fileURL is the address of hash on the server, with an optional query.
func (r *Replica) fileURL(hash, query string) string {
	u := r.id.Server + "/v1/files/" + hash
	if query != "" {
		u += "?" + query
	}
	return u
}

// send signs and sends a file request; the caller closes the answer.
func (r *Replica) send(ctx context.Context, method, url string, body []byte, hdr http.Header) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	district.SignRequest(req, r.id.DeviceID, r.id.Key, body)
	res, err := r.c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the district server: %w", err)
	}
	return res, nil
}

// answerError turns a refusal into a *ServerError, reading at most 64 KiB.
func answerError(res *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	se := &ServerError{Status: res.StatusCode}
	if json.Unmarshal(body, &se.APIError) != nil || se.Code == "" {
		se.Code, se.Message = "http_"+res.Status, strings.TrimSpace(string(body[:min(len(body), 200)]))
	}
	return se
}

// uploadOffset reads Qiao-Upload-Offset; -1 if absent or bad.
func uploadOffset(res *http.Response) int64 {
	n, err := strconv.ParseInt(res.Header.Get(district.HeaderUploadOffset), 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// upload sends hash to the server for school (” = district-wide) unless
// it is there already, resuming an earlier cut upload.
func (r *Replica) upload(ctx context.Context, hash, school string, rep *Report) error {
	rc, err := r.Files.Open(hash)
	if err != nil {
		return err
	}
	defer rc.Close()
	f := rc.(*os.File)
	info, err := f.Stat()
	if err != nil {
		return err
	}
	size := info.Size()
	scope := ""
	if school == "" {
		scope = "district=1"
	}
	res, err := r.send(ctx, http.MethodHead, r.fileURL(hash, scope), nil, nil)
	if err != nil {
		return err
	}
	res.Body.Close()
	switch res.StatusCode {
	case http.StatusOK:
		return nil // the server has it: nothing to send
	case http.StatusNotFound:
	default:
		return &ServerError{Status: res.StatusCode, APIError: district.APIError{Code: "http_" + res.Status, Message: "HEAD " + hash}}
	}
	off := max(uploadOffset(res), 0)
	if scope != "" {
		scope = "&" + scope
	}
	for restarts := 0; ; {
		if off > size {
			off, restarts = 0, restarts+1 // the server's partial is not ours to finish: start over
		}
		n := min(size-off, int64(r.chunk.size())*chunkUnit)
		buf := make([]byte, n)
		if _, err := f.ReadAt(buf, off); err != nil && !(errors.Is(err, io.EOF) && n == 0) {
			return fmt.Errorf("replica: read %s: %w", hash, err)
		}
		q := "offset=" + strconv.FormatInt(off, 10) + scope
		if off+n == size {
			q += "&final=1"
		}
		rep.FileBytesUp += n
		t := time.Now()
		res, err := r.send(ctx, http.MethodPut, r.fileURL(hash, q), buf, http.Header{"Content-Type": {"application/octet-stream"}})
		if err != nil {
			r.chunk.failed()
			return err
		}
		var up district.FileUpload
		switch res.StatusCode {
		case http.StatusOK, http.StatusCreated:
			err = json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(&up)
			res.Body.Close()
			if err != nil {
				r.chunk.failed()
				return fmt.Errorf("the connection to the district server broke: %w", err)
			}
			r.chunk.took(time.Since(t) * chunkPace)
			if up.Complete {
				rep.FilesUp++
				return nil
			}
			off = up.Offset
		case http.StatusConflict, http.StatusUnprocessableEntity:
			// Conflict: resume where the server is. Hash mismatch: the
			// server threw the upload away (a torn earlier upload?): once more from 0.
			err := answerError(res)
			res.Body.Close()
			if restarts++; restarts > 3 {
				return err
			}
			if res.StatusCode == http.StatusUnprocessableEntity && r.Files.Verify(hash) != nil {
				return err // our own copy is damaged (Verify set it aside)
			}
			if off = uploadOffset(res); off < 0 {
				return err
			}
		default:
			err := answerError(res)
			res.Body.Close()
			return err
		}
	}
}

// missingFiles lists the files live rows name that the store lacks.
func (r *Replica) missingFiles(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	tables := make([]string, 0, len(FileColumns))
	for t := range FileColumns {
		tables = append(tables, t)
	}
	slices.Sort(tables)
	for _, t := range tables {
		for _, col := range FileColumns[t] {
			rows, err := r.st.DB.QueryContext(ctx, `SELECT DISTINCT `+col+` FROM `+t+` WHERE deleted = 0 AND `+col+` <> ''`)
			if err != nil {
				return nil, fmt.Errorf("replica: list files of %s.%s: %w", t, col, err)
			}
			for rows.Next() {
				var h string
				if err := rows.Scan(&h); err != nil {
					rows.Close()
					return nil, err
				}
				if content.ValidHash(h) && !seen[h] && !r.Files.Has(h) {
					out = append(out, h)
				}
				seen[h] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// downloadFiles fetches every missing file; one the server does not have
// yet is counted in Report.FilesWaiting and tried again on the next sync.
func (r *Replica) downloadFiles(ctx context.Context, rep *Report) error {
	hashes, err := r.missingFiles(ctx)
	if err != nil {
		return err
	}
	for _, h := range hashes {
		if err := r.download(ctx, h, rep); err != nil {
			return err
		}
	}
	return nil
}

// download fetches one file for Sync and counts it in rep.
func (r *Replica) download(ctx context.Context, hash string, rep *Report) error {
	n, err := r.Download(ctx, hash, DownloadOptions{})
	rep.FileBytesDown += n
	switch {
	case errors.Is(err, ErrNoFile):
		rep.FilesWaiting++
		return nil
	case errors.Is(err, content.ErrHashMismatch):
		slog.Warn("replica: a downloaded file did not match its hash; discarded", "hash", hash)
		return nil
	case err != nil:
		return err
	}
	rep.FilesDown++
	return nil
}

// ErrNoFile means the district server has no file with that hash that
// this device may read (not uploaded yet, or another school's).
var ErrNoFile = errors.New("replica: the district server has no such file for this device (yet)")

// DownloadOptions shape one Download; the zero value downloads at full speed.
type DownloadOptions struct {
	// Body, if set, wraps the answer's body: a bandwidth cap, or a reader
	// that fails to stop the transfer (the bytes before it are kept).
	Body func(io.Reader) io.Reader
	// Progress, if set, is called as bytes arrive with how many bytes of
	// the file are held and its size (-1 while unknown).
	Progress func(have, size int64)
}

// Download fetches hash from the district into Files: into a partial
// file, resuming from what an earlier, cut download left (HTTP Range),
// and publishes it only once its SHA-256 checks out. It returns the bytes
// received; ErrNoFile if the server has none for this device,
// content.ErrHashMismatch (the bytes were discarded) if they were wrong.
func (r *Replica) Download(ctx context.Context, hash string, opt DownloadOptions) (int64, error) {
	p, err := r.Files.Partial(hash, downloadTag)
	if err != nil {
		return 0, err
	}
	for attempt := 0; ; attempt++ {
		off, err := p.Size()
		if err != nil {
			return 0, err
		}
		var hdr http.Header
		if off > 0 {
			hdr = http.Header{"Range": {"bytes=" + strconv.FormatInt(off, 10) + "-"}}
		}
		res, err := r.send(ctx, http.MethodGet, r.fileURL(hash, ""), nil, hdr)
		if err != nil {
			return 0, err
		}
		switch {
		case res.StatusCode == http.StatusNotFound:
			res.Body.Close()
			return 0, ErrNoFile
		case res.StatusCode == http.StatusRequestedRangeNotSatisfiable && attempt == 0:
			// The partial file is whole already (cut before Commit), or bogus.
			res.Body.Close()
			if _, err := p.Commit(); err == nil {
				return 0, nil
			}
			p.Remove()
			continue
		case res.StatusCode == http.StatusOK && off > 0:
			// The server sent the whole file: start over.
			if err := p.Remove(); err != nil {
				res.Body.Close()
				return 0, err
			}
			off = 0
		case res.StatusCode == http.StatusPartialContent:
			if !strings.HasPrefix(res.Header.Get("Content-Range"), "bytes "+strconv.FormatInt(off, 10)+"-") {
				res.Body.Close()
				return 0, fmt.Errorf("replica: the district server sent %s for %s from byte %d", res.Header.Get("Content-Range"), hash, off)
			}
		case res.StatusCode != http.StatusOK:
			err := answerError(res)
			res.Body.Close()
			return 0, err
		}
		var body io.Reader = res.Body
		if opt.Progress != nil {
			size := int64(-1)
			if res.ContentLength >= 0 {
				size = off + res.ContentLength
			}
			body = &progressReader{r: body, have: off, size: size, f: opt.Progress}
		}
		if opt.Body != nil {
			body = opt.Body(body)
		}
		n, err := p.Append(off, body, district.MaxFileBytes)
		res.Body.Close()
		if err != nil {
			return n - off, fmt.Errorf("the connection to the district server broke during a file download (it resumes from byte %d): %w", n, err)
		}
		_, err = p.Commit()
		return n - off, err
	}
}

// progressReader reports the bytes held after every read.
type progressReader struct {
	r          io.Reader
	have, size int64
	f          func(have, size int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.have += int64(n)
		p.f(p.have, p.size)
	}
	return n, err
}

// Upload sends the file hash from Files to the district for this
// device's school, unless the server has it already, resuming an earlier
// cut upload; districtWide uploads it for every school (district
// administrators only).
func (r *Replica) Upload(ctx context.Context, hash string, districtWide bool) error {
	school := r.id.SchoolID
	if districtWide {
		school = ""
	}
	return r.upload(ctx, hash, school, &Report{})
}

// Call sends a signed JSON request to path on the district server (e.g.
// /v1/library/contributions) with in as its body (nil for none) and
// decodes the answer into out (nil to ignore it). A refusal is a
// *ServerError.
func (r *Replica) Call(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	var rd io.Reader
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.id.Server+path, rd)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	_, err = r.c.signed(req, body, out)
	return err
}
