// Package i18n looks up user-visible text in the translation files bundled
// in assets/translations. Chinese (zh-Hans) is the default language and
// English is complete; a missing key shows itself rather than nothing.
package i18n

import (
	"encoding/json"
	"fmt"
	"sync"

	"qiao/assets"
)

// Language codes Qiao ships.
const (
	Chinese = "zh-Hans"
	English = "en"
)

// Languages lists the shipped languages, default first.
var Languages = []string{Chinese, English}

var (
	mu      sync.RWMutex
	current = Chinese
	tables  = map[string]map[string]string{}
)

func init() {
	for _, l := range Languages {
		t, err := load(l)
		if err != nil {
			panic(err) // the files are embedded: a bad one is a build bug, caught by tests
		}
		tables[l] = t
	}
}

func load(lang string) (map[string]string, error) {
	data, err := assets.Translations.ReadFile("translations/" + lang + ".json")
	if err != nil {
		return nil, err
	}
	var t map[string]string
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("i18n: %s.json: %w", lang, err)
	}
	return t, nil
}

// Use switches the language; an unknown code falls back to Chinese.
func Use(lang string) {
	mu.Lock()
	defer mu.Unlock()
	if _, ok := tables[lang]; !ok {
		lang = Chinese
	}
	current = lang
}

// Current returns the language in use.
func Current() string {
	mu.RLock()
	defer mu.RUnlock()
	return current
}

// T returns the text for key in the current language, formatted with args.
func T(key string, args ...any) string {
	mu.RLock()
	text, ok := tables[current][key]
	if !ok {
		text, ok = tables[English][key]
	}
	mu.RUnlock()
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(text, args...)
	}
	return text
}
