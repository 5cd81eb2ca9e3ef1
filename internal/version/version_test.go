package version

import (
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	withVCS := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-11-22T06:00:00Z"}}}, true
	}
	module := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.3.0"}}, true
	}
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	cases := []struct {
		name    string
		v, c, d string
		read    func() (*debug.BuildInfo, bool)
		want    string
	}{
		{"ldflags win over build info", "v1.0.0", "abc", "2026-01-01", withVCS, "v1.0.0 (abc, 2026-01-01) go1.26.8"},
		{"vcs stamp fills gaps", "", "", "", withVCS, "dev (0123456789ab, 2026-11-22T06:00:00Z) go1.26.8"},
		{"go install of a tagged module", "", "", "", module, "v0.3.0 go1.26.8"},
		{"nothing known", "", "", "", none, "dev"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := resolve(c.v, c.c, c.d, c.read).String(); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
