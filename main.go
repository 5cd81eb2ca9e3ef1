// Command mailtower is a filtering mail gateway built on Postfix: a milter
// that scans and acts on every message, a policy daemon for early
// decisions at RCPT time, a quarantine, and the tools to run them.
package main

import (
	"os"

	// go-milter decodes header text with go-message, which needs the
	// charset tables registered to read non-UTF-8 subjects.
	_ "github.com/emersion/go-message/charset"

	"github.com/mailtower/mailtower/cli"
)

// stopProfile ends a CPU profile (cpuprofile.go, a test-only build tag).
var stopProfile = func() {}

func main() {
	code := cli.Execute()
	stopProfile()
	os.Exit(code)
}
