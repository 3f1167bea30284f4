package audio

// libopus 1.3.1 comes as a static archive inside pion/mediadevices'
// pkg/codec/opus (built from xiph/opus v1.3.1 for linux amd64/arm64/armv7,
// darwin amd64/arm64 and windows amd64; BSD licence, see libopus/COPYING).
// Importing that package adds the archive to the link; our own cgo wrapper in
// opus.go calls libopus directly with the headers in libopus/ (copied from the
// same module version, so headers and archive match). See
// docs/classroom-audio.md, "Opus binding".
import _ "github.com/pion/mediadevices/pkg/codec/opus"
