// Package content is Qiao's local file store: research attachments (and,
// later, the resource library) keep their files here, named by the SHA-256
// of their bytes, so the same file is stored once however often it is used.
//
// Layout under the store's folder (the app passes <data dir>/files):
//
//	ab/cdef…     a file whose hash is "abcdef…" (first two hex digits as a folder)
//	tmp/         partial writes; never read, swept when older than an hour
//	damaged/     files that failed Verify, kept for inspection, never deleted
//
// A file appears under its hash only once it is whole and on disk: Put
// writes into tmp/, fsyncs, then renames into place and fsyncs the folder.
// A crash or a pulled USB drive leaves at most a stray temp file. Callers
// should record a Ref (in the database) only after Put has returned it.
package content
