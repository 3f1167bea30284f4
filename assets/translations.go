package assets

import "embed"

// Translations holds one JSON file per language (zh-Hans.json, en.json):
// a flat object from message key to text, in fmt format.
//
//go:embed translations/*.json
var Translations embed.FS
