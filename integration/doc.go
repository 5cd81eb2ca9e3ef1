// Package integration holds mailtower's end-to-end tests against the real
// components it works with: a private Postfix instance, clamd and spamd
// from Debian packages, and a capturing SMTP sink standing in for the
// customer's mail server.
//
// The tests need root (Postfix's master runs as root) and carry the build
// tag "integration", so that `go test ./...` stays offline and rootless:
//
//	sudo go test -tags integration -count=1 ./integration/...
//
// Every daemon listens on 127.0.0.1 on a port chosen at run time, so that
// several developers can run the tests on one machine. A failing test keeps
// its directory (configs and logs) and prints its path.
package integration
