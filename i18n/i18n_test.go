package i18n_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"qiao/assets"
	"qiao/i18n"
	"qiao/library"
	"qiao/prefs"
	"qiao/school"
)

func table(t *testing.T, lang string) map[string]string {
	t.Helper()
	data, err := assets.Translations.ReadFile("translations/" + lang + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s.json: %v", lang, err)
	}
	return m
}

var verb = regexp.MustCompile(`%(\[\d+\])?[-+# 0-9.]*[a-zA-Z%]`)

func TestLanguagesHaveTheSameKeysAndVerbs(t *testing.T) {
	zh, en := table(t, i18n.Chinese), table(t, i18n.English)
	for k, v := range zh {
		e, ok := en[k]
		if !ok {
			t.Errorf("%q missing in en.json", k)
			continue
		}
		if a, b := strings.Join(verb.FindAllString(v, -1), ","), strings.Join(verb.FindAllString(e, -1), ","); a != b {
			t.Errorf("%q: zh-Hans has %s, en has %s", k, a, b)
		}
		if strings.TrimSpace(v) == "" || strings.TrimSpace(e) == "" {
			t.Errorf("%q is empty", k)
		}
	}
	for k := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("%q missing in zh-Hans.json", k)
		}
	}
}

func TestLookupAndFallback(t *testing.T) {
	defer i18n.Use(i18n.Chinese)
	i18n.Use("fr")
	if i18n.Current() != i18n.Chinese {
		t.Fatal("unknown language did not fall back to Chinese")
	}
	if got := i18n.T("cli.unknown", "x"); got != "未知的命令：x" {
		t.Fatalf("got %q", got)
	}
	i18n.Use(i18n.English)
	if got := i18n.T("cli.unknown", "x"); got != "unknown command: x" {
		t.Fatalf("got %q", got)
	}
	if got := i18n.T("no.such.key"); got != "no.such.key" {
		t.Fatalf("missing key shows %q", got)
	}
}

// keyRE matches string literals that name a translation key.
var keyRE = regexp.MustCompile(`^[a-z]+\.[a-z0-9_.-]*[a-z0-9_-]$`)

// TestCodeUsesOnlyKnownKeysAndNoBareChinese reads the UI and CLI source:
// every key-like literal must be in the files, and no Chinese text may be
// written in the code instead of the translation files.
func TestCodeUsesOnlyKnownKeysAndNoBareChinese(t *testing.T) {
	zh := table(t, i18n.Chinese)
	spaces := map[string]bool{} // the first segments the files use: nav, home, …
	for k := range zh {
		spaces[strings.SplitN(k, ".", 2)[0]] = true
	}
	keys := 0
	for _, dir := range []string{"../ui", "../app", "../messages"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			file, err := parser.ParseFile(token.NewFileSet(), f, src, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, _ := strconv.Unquote(lit.Value)
				for _, r := range s {
					if unicode.Is(unicode.Han, r) {
						t.Errorf("%s: Chinese text %q belongs in the translation files", f, s)
						break
					}
				}
				if keyRE.MatchString(s) && spaces[strings.SplitN(s, ".", 2)[0]] {
					keys++
					if _, ok := zh[s]; !ok {
						t.Errorf("%s: key %q is not in the translation files", f, s)
					}
				}
				return true
			})
		}
	}
	if keys < 20 {
		t.Fatalf("found only %d keys: the scan is broken", keys)
	}
}

func TestEnumeratedKeysExist(t *testing.T) {
	zh := table(t, i18n.Chinese)
	var need []string
	for _, r := range school.Roles {
		need = append(need, "role."+string(r))
	}
	for _, th := range prefs.Themes {
		need = append(need, "theme."+th)
	}
	for _, l := range i18n.Languages {
		need = append(need, "lang."+l)
	}
	for i := range prefs.FontScales {
		need = append(need, "fontscale."+strconv.Itoa(i))
	}
	for _, c := range library.FetchCodes {
		need = append(need, "library.fetch."+c)
	}
	for _, k := range need {
		if _, ok := zh[k]; !ok {
			t.Errorf("%q missing", k)
		}
	}
}
