package configdoc

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/internal/config"
)

var update = flag.Bool("update", false, "rewrite docs/config-reference.md and contrib/mailtower.toml from the generator")

// TestCommittedFilesMatchGenerator keeps the shipped configuration file and
// the reference equal to what the code says.
func TestCommittedFilesMatchGenerator(t *testing.T) {
	for _, tc := range []struct {
		path string
		gen  func(*bytes.Buffer) error
	}{
		{"contrib/mailtower.toml", func(b *bytes.Buffer) error { return TOML(b) }},
		{"docs/config-reference.md", func(b *bytes.Buffer) error { return Markdown(b) }},
	} {
		t.Run(tc.path, func(t *testing.T) {
			var want bytes.Buffer
			if err := tc.gen(&want); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("..", "..", tc.path)
			if *update {
				if err := os.WriteFile(path, want.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Errorf("%s differs from the generator; run: go test ./internal/configdoc -update", tc.path)
			}
		})
	}
}

// TestEverythingDocumented fails when a section or key lacks its text.
func TestEverythingDocumented(t *testing.T) {
	for _, s := range Sections() {
		if s.Doc == "" {
			t.Errorf("section [%s] has no entry in sectionDocs", s.Path)
		}
		for _, k := range s.Keys {
			if k.Doc == "" {
				t.Errorf("key %s in [%s] has no doc tag", k.Name, s.Path)
			}
			if k.Type == "" {
				t.Errorf("key %s: type %s has no name in typeName", k.Name, k.Type)
			}
		}
	}
}

// TestUncommentedFileIsTheDefaults uncomments every key of the generated
// file and loads it: the file must be valid, every key known, and the
// values (the default tags) equal to config.Default().
func TestUncommentedFileIsTheDefaults(t *testing.T) {
	var b bytes.Buffer
	if err := TOML(&b); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "# ") && l != "#" {
			l = l[1:]
		}
		lines = append(lines, l)
	}
	path := filepath.Join(t.TempDir(), "mailtower.toml")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := config.Load(path)
	if err != nil {
		t.Fatalf("uncommented file does not load: %v", err)
	}
	if got.Scanners.Clamd == nil || got.Scanners.Clamd.Address != "unix:/run/clamav/clamd.ctl" ||
		got.Scanners.Spamd == nil || got.Scanners.Spamd.Address != "127.0.0.1:783" {
		t.Errorf("scanner examples not the Debian addresses: %+v", got.Scanners)
	}
	got.Scanners.Clamd, got.Scanners.ICAP, got.Scanners.Spamd, got.Scanners.Rspamd = nil, nil, nil, nil
	got.Path = ""
	nilEmptySlices(reflect.ValueOf(got).Elem())
	if want := config.Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("default tags disagree with config.Default():\n got %+v\nwant %+v", got, want)
	}
}

// nilEmptySlices sets empty slices to nil: `mx_names = []` and an absent
// key mean the same.
func nilEmptySlices(v reflect.Value) {
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		switch {
		case f.Kind() == reflect.Slice && f.Len() == 0 && f.CanSet():
			f.Set(reflect.Zero(f.Type()))
		case f.Kind() == reflect.Struct:
			nilEmptySlices(f)
		}
	}
}

func TestCommentedFileLoadsAsDefaults(t *testing.T) {
	var b bytes.Buffer
	if err := TOML(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "mailtower.toml")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	got.Path = ""
	if !reflect.DeepEqual(got, config.Default()) {
		t.Errorf("shipped file is not the defaults: %+v", got)
	}
}

func TestManPage(t *testing.T) {
	var b bytes.Buffer
	if err := Man(&b, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), "v1.0.0"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, `.TH MAILTOWER.TOML 5 "2026-11-22" "mailtower v1.0.0"`) {
		t.Errorf("header: %q", strings.SplitN(out, "\n", 2)[0])
	}
	for _, s := range Sections() {
		for _, k := range s.Keys {
			if !strings.Contains(out, ".B "+roffText(k.Name)+"\n") {
				t.Errorf("man page lacks key %s", k.Name)
			}
		}
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "'") || (strings.HasPrefix(l, ".") && len(l) > 1 && l[1] >= 'a' && l[1] <= 'z') {
			t.Errorf("line would be read as an unknown roff request: %q", l)
		}
	}
}

func TestRoffText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a-b", `a\-b`}, {`C:\x`, `C:\ex`}, {".hidden", `\&.hidden`}, {"'q", `\&'q`},
	} {
		if got := roffText(tc.in); got != tc.want {
			t.Errorf("roffText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
