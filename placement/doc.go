// Package placement is sunshine class placement (阳光分班): it reads the
// enrolment list, hashes its canonical form, derives a seed from public
// entropy, and deals pupils into balanced classes with a fully specified,
// reproducible algorithm, so anyone can verify a result afterwards.
// docs/placement-spec.md is the normative description; this package is
// its reference implementation.
package placement
