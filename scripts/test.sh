#!/usr/bin/env bash
# test.sh — the one test command (what CI runs):
#   gofmt check, go vet (with and without the integration tag),
#   unit tests with the race detector (offline, no root) on SQLite,
#   the same unit tests on a private PostgreSQL server
#   (scripts/test-postgres.sh: every store's tests on both engines),
#   then, as root, the peer corpus (other projects' MIME test messages,
#   build tag "peercorpus") and the integration tests against a private
#   Postfix, clamd and spamd (build tag "integration"), on SQLite, then
#   again with every gateway on the private PostgreSQL server.
#
# Usage: sudo scripts/test.sh            everything (CI)
#        scripts/test.sh --unit-only     skip integration, and say so
# Without postgresql-15 installed the PostgreSQL steps fail (CI) unless
# MAILTOWER_SKIP_POSTGRES=1 skips them, and says so.
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

unit_only=false
case "${1:-}" in
--unit-only) unit_only=true ;;
"") ;;
*) echo "usage: $0 [--unit-only]" >&2; exit 2 ;;
esac

step() { printf '\n==> %s\n' "$*"; }
SECONDS=0

step "gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "gofmt: these files need formatting (run: make fmt):"
	echo "$unformatted"
	exit 1
fi

step "go vet"
go vet ./...
go vet -tags integration ./integration/...

step "unit tests on SQLite (go test -race ./...)"
go test -race ./...

# The same unit tests with every store on PostgreSQL (store/storetest);
# without -race: the race detector ran above, this run is about the SQL.
step "unit tests on PostgreSQL (scripts/test-postgres.sh ./...)"
if [ "${MAILTOWER_SKIP_POSTGRES:-}" = 1 ]; then
	echo "PostgreSQL unit tests NOT run (MAILTOWER_SKIP_POSTGRES=1)"
else
	bash scripts/test-postgres.sh ./...
fi

if $unit_only; then
	step "integration tests NOT run (--unit-only)"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	step "integration tests need root"
	echo "They start a private Postfix instance (master runs as root), clamd and spamd."
	echo "Run: sudo $0    (or $0 --unit-only to run the unit tests alone)"
	exit 1
fi

step "peer corpus: other projects' MIME tests with expected verdicts (scripts/peer-corpus.sh, testdata/peercorpus.tsv)"
out=$(mktemp)
if ! MAILTOWER_PEER_CORPUS=$(scripts/peer-corpus.sh) go test -tags peercorpus -count=1 -run TestPeerCorpus -v ./scan/rules >"$out" 2>&1; then
	cat "$out"
	rm -f "$out"
	echo "peer corpus test FAILED"
	exit 1
fi
grep -E 'MALFORMED|^ok' "$out"
rm -f "$out"

step "integration tests (go test -tags integration ./integration/...)"
if ! go test -tags integration -count=1 -timeout 30m -v ./integration/...; then
	echo "integration tests FAILED (kept test directories and log tails are printed above)"
	exit 1
fi

step "integration tests on PostgreSQL (scripts/test-postgres.sh -tags integration ./integration/...)"
if [ "${MAILTOWER_SKIP_POSTGRES:-}" = 1 ]; then
	echo "PostgreSQL integration tests NOT run (MAILTOWER_SKIP_POSTGRES=1)"
elif ! bash scripts/test-postgres.sh -tags integration -count=1 -timeout 30m ./integration/...; then
	echo "integration tests on PostgreSQL FAILED"
	exit 1
fi

step "Debian package: build, lintian, install, mail through Postfix, purge (scripts/test-deb.sh)"
bash scripts/test-deb.sh || { echo "package test FAILED"; exit 1; }

step "all tests passed in ${SECONDS}s"
