package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestVersionCommand(t *testing.T) {
	out, err := run(t, testConfig(t), "version", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]string
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"version", "commit", "date", "go"} {
		if _, ok := v[k]; !ok {
			t.Errorf("--json lacks %q: %s", k, out)
		}
	}
	if v["version"] == "" || !strings.HasPrefix(v["go"], "go") {
		t.Errorf("version %q, go %q", v["version"], v["go"])
	}
	out, err = run(t, testConfig(t), "version")
	if err != nil || !strings.HasPrefix(out, "mailtower ") || !strings.Contains(out, "\ngo ") {
		t.Errorf("plain output %q, %v", out, err)
	}
}

func TestBuildDateHonoursSourceDateEpoch(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	if got, want := buildDate(), time.Unix(1700000000, 0).UTC(); !got.Equal(want) {
		t.Errorf("buildDate = %v, want %v", got, want)
	}
}

func TestConfigReferenceFormats(t *testing.T) {
	for _, tc := range []struct{ format, want string }{
		{"toml", "#[scanners.clamd]\n"},
		{"md", "# Configuration reference"},
		{"man", ".TH MAILTOWER.TOML 5"},
	} {
		out, err := run(t, testConfig(t), "config", "reference", "--format", tc.format)
		if err != nil || !strings.Contains(out, tc.want) {
			t.Errorf("--format %s: %v, output lacks %q", tc.format, err, tc.want)
		}
	}
	if _, err := run(t, testConfig(t), "config", "reference", "--format", "pdf"); err == nil || !strings.Contains(err.Error(), `"pdf"`) {
		t.Errorf("bad format: %v", err)
	}
}
