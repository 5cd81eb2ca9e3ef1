#!/usr/bin/env bash
# install-deps.sh — install what building, running and testing mailtower
# needs on Debian (12 or later): Postfix, clamd, spamd/SpamAssassin, swaks,
# sqlite3, a C compiler for the SQLite driver, a Go toolchain new enough
# for go.mod, and the Go modules. Idempotent: a second run installs nothing
# and does not touch apt.
#
# Usage: sudo scripts/install-deps.sh
set -euo pipefail

cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (sudo scripts/install-deps.sh)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
packages=(
	postfix          # the MTA mailtower plugs into; brings smtp-source/smtp-sink
	clamav-daemon    # clamd
	spamd            # SpamAssassin's daemon
	spamassassin
	rspamd           # the rspamd engine (integration tests of scan/rspamd)
	c-icap libc-icap-mod-virus-scan  # an ICAP antivirus server (tests of scan/icap)
	swaks            # SMTP test client
	dovecot-core     # a real Dovecot auth server: protocol conformance and benchmark of mailtower's SASL server (integration/saslconf_test.go)
	chromium         # headless browser of the portal's end-to-end test (integration/portal_test.go)
	oathtool         # independent TOTP codes for that test
	age              # age-keygen and age: customer keys of the mail mirror test (integration/mirror_test.go)
	libpython3.11-testsuite  # CPython's email test messages (scripts/peer-corpus.sh)
	clamav-testfiles         # ClamAV's test mails (scripts/peer-corpus.sh)
	p7zip-full       # 7z: makes the 7z test archives (scan/rules/testdata/formats)
	qpdf poppler-utils genisoimage mtools dosfstools  # test PDFs, ISO and FAT images (scan/rules/testdata/formats/make-documents.sh)
	sqlite3          # inspecting the database
	postgresql-15    # the shared PostgreSQL store: scripts/test-postgres.sh and integration/cluster_test.go start private clusters with its initdb/pg_ctl
	                 # (its pg_trgm and unaccent extensions, used by the quarantine and history search, are part of it: no postgresql-contrib needed)
	gcc libc6-dev    # cgo for github.com/mattn/go-sqlite3
	make git ca-certificates curl unzip
	ssl-cert         # the snakeoil certificate: Postfix STARTTLS and the portal's HTTPS until the admin names its own
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	# A stock Postfix, unconfigured: mailtower (or its tests) write the
	# configuration.
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	echo "postfix postfix/mailname string $(hostname -f 2>/dev/null || hostname)" | debconf-set-selections
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
else
	echo "install-deps: Debian packages present"
fi

# Go: the version go.mod asks for, or newer. Debian's golang-go is older,
# so the official toolchain is fetched as the Go module
# golang.org/toolchain from the Go module proxy (the same zip `go` itself
# downloads when GOTOOLCHAIN=auto) into /usr/local/go.
GO_TOOLCHAIN=${GO_TOOLCHAIN:-go1.26.8}
GOROOT_DIR=${GOROOT_DIR:-/usr/local/go}
want=$(awk '/^go /{print $2; exit}' go.mod)
export PATH="$GOROOT_DIR/bin:$PATH"
have=$(go env GOVERSION 2>/dev/null | sed 's/^go//' || true)
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }
if [ -z "$have" ] || ! version_ge "$have" "$want"; then
	arch=$(dpkg --print-architecture)
	proxy=$(echo "${GOPROXY:-https://proxy.golang.org}" | cut -d, -f1 | cut -d'|' -f1)
	if [ "$proxy" = direct ] || [ "$proxy" = off ]; then
		proxy=https://proxy.golang.org
	fi
	url="$proxy/golang.org/toolchain/@v/v0.0.1-$GO_TOOLCHAIN.linux-$arch.zip"
	echo "install-deps: Go ${have:-missing} < $want; installing $GO_TOOLCHAIN from $url"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	curl -fsSL --retry 3 -o "$tmp/go.zip" "$url"
	unzip -q "$tmp/go.zip" -d "$tmp"
	rm -rf "$GOROOT_DIR"
	mv "$tmp/golang.org/toolchain@v0.0.1-$GO_TOOLCHAIN.linux-$arch" "$GOROOT_DIR"
	chmod +x "$GOROOT_DIR"/bin/* "$GOROOT_DIR"/pkg/tool/*/* 2>/dev/null || true
	if [ "$GOROOT_DIR" = /usr/local/go ]; then
		ln -sf /usr/local/go/bin/go /usr/local/bin/go
		ln -sf /usr/local/go/bin/gofmt /usr/local/bin/gofmt
	fi
	go version
else
	echo "install-deps: Go $have present (go.mod wants $want)"
fi

go mod download
# npm fetches one package's test messages for the peer corpus.
if ! command -v npm >/dev/null; then
	apt-get install -y -q --no-install-recommends npm
fi
# Other projects' MIME test messages for the peer-corpus test (cache, not repo).
scripts/peer-corpus.sh >/dev/null
echo "install-deps: done"
