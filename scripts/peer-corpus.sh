#!/usr/bin/env bash
# peer-corpus.sh — gather other projects' MIME test messages into a cache
# directory outside the repository (they are not ours to commit), from
# sources CI can install by name:
#   enmime   the Go module github.com/jhillyerd/enmime (its module zip
#            holds testdata/**/*.raw), from the Go module proxy
#   cpython  CPython's email tests (test/test_email/data/msg_*.txt), from
#            the Debian package libpython3.11-testsuite (installed by
#            scripts/install-deps.sh)
#   clamav   ClamAV's test mails (clam.exe in mbox and mail form), from the
#            Debian package clamav-testfiles (installed by install-deps.sh)
#   eml-format  the npm package eml-format's test/fixtures/*.eml (npm pack)
# Idempotent: a second run copies nothing new. Prints the directory.
#
# Usage: scripts/peer-corpus.sh [DIR]
#        (DIR defaults to $MAILTOWER_PEER_CORPUS, else ~/.cache/mailtower/peer-corpus)
set -euo pipefail

ENMIME_VERSION=v1.3.0
EML_FORMAT_VERSION=0.6.1
dir=${1:-${MAILTOWER_PEER_CORPUS:-${XDG_CACHE_HOME:-$HOME/.cache}/mailtower/peer-corpus}}
mkdir -p "$dir"

if [ ! -d "$dir/enmime" ]; then
	# Outside the module so go.mod is not touched.
	mod=$(cd / && GOFLAGS=-mod=mod go mod download -json "github.com/jhillyerd/enmime@$ENMIME_VERSION" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -d "$mod/testdata" ] || { echo "peer-corpus: enmime $ENMIME_VERSION has no testdata ($mod)" >&2; exit 1; }
	tmp=$(mktemp -d "$dir/.enmime.XXXXXX")
	(cd "$mod/testdata" && find . -name '*.raw' -exec cp --parents {} "$tmp/" \;)
	chmod -R u+w "$tmp"
	mv "$tmp" "$dir/enmime"
fi

if [ ! -d "$dir/cpython" ]; then
	src=/usr/lib/python3.11/test/test_email/data
	[ -d "$src" ] || { echo "peer-corpus: $src missing: apt-get install libpython3.11-testsuite" >&2; exit 1; }
	tmp=$(mktemp -d "$dir/.cpython.XXXXXX")
	cp "$src"/msg_*.txt "$tmp/"
	mv "$tmp" "$dir/cpython"
fi

if [ ! -d "$dir/clamav" ]; then
	src=/usr/share/clamav-testfiles
	[ -d "$src" ] || { echo "peer-corpus: $src missing: apt-get install clamav-testfiles" >&2; exit 1; }
	tmp=$(mktemp -d "$dir/.clamav.XXXXXX")
	cp "$src"/clam.exe.mbox.base64 "$src"/clam.exe.mbox.uu "$src"/clam.mail "$tmp/"
	mv "$tmp" "$dir/clamav"
fi

if [ ! -d "$dir/eml-format" ]; then
	tmp=$(mktemp -d "$dir/.eml-format.XXXXXX")
	(cd "$tmp" && npm pack --silent "eml-format@$EML_FORMAT_VERSION" >/dev/null &&
		tar -xzf "eml-format-$EML_FORMAT_VERSION.tgz" package/test/fixtures &&
		mv package/test/fixtures/*.eml . && rm -rf package "eml-format-$EML_FORMAT_VERSION.tgz")
	mv "$tmp" "$dir/eml-format"
fi

echo "$dir"
