// Package version reports which mailtower build is running. The Makefile
// sets Version, Commit and Date with -ldflags -X; a plain `go build` or
// `go install` falls back to what the Go toolchain recorded in the binary.
package version

import (
	"fmt"
	"runtime/debug"
)

// Set at link time: go build -ldflags "-X github.com/mailtower/mailtower/internal/version.Version=v1.2.3 ...".
var (
	// Version is the release (git describe), or "dev".
	Version = ""
	// Commit is the source revision.
	Commit = ""
	// Date is the build time (UTC, RFC 3339).
	Date = ""
)

// Info is the resolved build information.
type Info struct {
	Version, Commit, Date, Go string
}

// Get returns the link-time values, filling gaps from the build info.
func Get() Info {
	return resolve(Version, Commit, Date, debug.ReadBuildInfo)
}

func resolve(v, c, d string, read func() (*debug.BuildInfo, bool)) Info {
	in := Info{Version: v, Commit: c, Date: d}
	if bi, ok := read(); ok {
		in.Go = bi.GoVersion
		if in.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			in.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && in.Commit == "":
				in.Commit = s.Value
			case s.Key == "vcs.time" && in.Date == "":
				in.Date = s.Value
			}
		}
	}
	if in.Version == "" {
		in.Version = "dev"
	}
	return in
}

// String is the one-line form printed by `mailtower --version`.
func (i Info) String() string {
	s := i.Version
	if i.Commit != "" {
		c := i.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		s += " (" + c
		if i.Date != "" {
			s += ", " + i.Date
		}
		s += ")"
	}
	if i.Go != "" {
		s += fmt.Sprintf(" %s", i.Go)
	}
	return s
}
