package content

import (
	"errors"
	"hash"
	"io"
	"os"
	"unsafe"
)

// Appending to a partial file goes through one block-aligned buffer: r's
// bytes are read into it, hashed there and written from it, so the
// running hash is of exactly the bytes written. Where the system allows
// (Linux: O_DIRECT) whole aligned buffers are written past the page cache,
// from this buffer to the disk: the kernel copies the bytes once fewer.
const (
	appendBuf = 256 << 10 // fits the processor's cache while it is hashed
	blockSize = 4096      // alignment of offset, length and memory for O_DIRECT
)

// appendFrom writes r's bytes to f from byte off on and adds them to h,
// taking at most limit-off bytes (more: ErrTooLarge, nothing beyond limit
// written). direct, if not nil, is f opened with O_DIRECT; it takes the
// whole aligned buffers. It returns how many bytes it wrote and hashed:
// all it read, also when a read or write fails.
func appendFrom(f, direct *os.File, h hash.Hash, r io.Reader, off, limit int64) (int64, error) {
	raw := make([]byte, appendBuf+blockSize)
	skip := (blockSize - int(uintptr(unsafe.Pointer(&raw[0]))%blockSize)) % blockSize
	buf := raw[skip : skip+appendBuf]
	// One byte more than allowed tells "too large" from "exactly full".
	lr := io.LimitReader(r, limit-off+1)
	var n int64
	for {
		// Up to the next block boundary first, then whole buffers.
		k, rerr := io.ReadFull(lr, buf[:appendBuf-int((off+n)%blockSize)])
		if off+n+int64(k) > limit {
			k, rerr = int(limit-off-n), ErrTooLarge
		}
		if k == 0 {
			if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
				rerr = nil
			}
			return n, rerr
		}
		w := f
		if direct != nil && k%blockSize == 0 && (off+n)%blockSize == 0 {
			w = direct
		}
		wn, werr := w.WriteAt(buf[:k], off+n)
		if werr != nil && w == direct && wn == 0 && errors.Is(werr, errDirectRefused) {
			direct = nil // this file system takes no such writes after all
			wn, werr = f.WriteAt(buf[:k], off+n)
		}
		h.Write(buf[:wn])
		n += int64(wn)
		if werr != nil {
			return n, werr
		}
		if rerr != nil {
			if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
				rerr = nil
			}
			return n, rerr
		}
	}
}
