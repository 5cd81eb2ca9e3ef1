#!/bin/sh
# build-deb.sh: build build/mailtower_<version>_<arch>.deb from a staged
# tree with dpkg-deb (no debhelper, no network). Run through `make deb`,
# which first builds ./mailtower and the man pages in build/man.
#
# Environment: VERSION (git describe output; default: git describe),
# SOURCE_DATE_EPOCH (file times, changelog date; default: last commit),
# DEB_MAINTAINER (the Maintainer field).
set -eu

cd "$(dirname "$0")/../.."
export PATH="/usr/local/go/bin:$PATH"
pkg=contrib/packaging
out=build
stage=$out/deb/mailtower

: "${VERSION:=$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
: "${SOURCE_DATE_EPOCH:=$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
: "${DEB_MAINTAINER:=mailtower developers <dev@mailtower.invalid>}"
export SOURCE_DATE_EPOCH

[ -x mailtower ] || { echo "build-deb: ./mailtower missing (run make deb)" >&2; exit 1; }
[ -f build/man/mailtower.8 ] || { echo "build-deb: build/man missing (run make man)" >&2; exit 1; }

# Debian version: v1.2.3 -> 1.2.3; v1.2.3-4-gabc -> 1.2.3+git4.abc;
# an untagged tree -> 0.0~git<date>.<commit>; a dirty tree gets +dirty.
debversion() {
	v=$1 dirty=""
	case $v in *-dirty) v=${v%-dirty} dirty="+dirty" ;; esac
	case $v in
	v[0-9]*-*-g*)
		base=${v%-*-g*} rest=${v#"$base"-}
		echo "${base#v}+git${rest%-g*}.${rest#*-g}$dirty" ;;
	v[0-9]*) echo "${v#v}$dirty" ;;
	*) echo "0.0~git$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d).$v$dirty" ;;
	esac
}
version=$(debversion "$VERSION")
arch=$(dpkg --print-architecture)
deb=$out/mailtower_${version}_${arch}.deb

rm -rf "$out/deb" "$out"/mailtower_*.deb
umask 022
doc=$stage/usr/share/doc/mailtower

# Files.
install -D -m 0755 mailtower "$stage/usr/bin/mailtower"
# What dh_strip does besides stripping (the Makefile's -s -w did that):
# drop the compilers' version strings.
objcopy --remove-section=.comment "$stage/usr/bin/mailtower"
install -D -m 0644 contrib/mailtower.toml "$stage/etc/mailtower/mailtower.toml"
install -D -m 0644 contrib/systemd/mailtower.service "$stage/lib/systemd/system/mailtower.service"
install -d "$stage/usr/share/man/man8" "$stage/usr/share/man/man5"
for f in build/man/*.8; do gzip -9n -c "$f" >"$stage/usr/share/man/man8/$(basename "$f").gz"; done
gzip -9n -c build/man/mailtower.toml.5 >"$stage/usr/share/man/man5/mailtower.toml.5.gz"
install -d "$stage/usr/share/bash-completion/completions"
./mailtower completion bash >"$stage/usr/share/bash-completion/completions/mailtower"
install -d "$doc/examples/postfix"
install -m 0644 README.md "$doc/README.md"
for f in docs/*.md; do install -m 0644 "$f" "$doc/"; done
install -m 0644 contrib/postfix/main.cf contrib/postfix/master.cf contrib/postfix/submission.cf contrib/postfix/README.md "$doc/examples/postfix/"
install -m 0644 contrib/mailtower.toml "$doc/examples/mailtower.toml"

# copyright: ours, then every Go module linked into the binary.
{
	cat "$pkg/copyright.in"
	go list -deps -f '{{with .Module}}{{if not .Main}}{{.Path}} {{.Version}} {{.Dir}}{{end}}{{end}}' . | sort -u |
		while read -r path ver dir; do
			lic=$(ls "$dir" | grep -i -m1 -E '^(licen[cs]e|copying)' || true)
			head=$( [ -n "$lic" ] && tr '\n' ' ' <"$dir/$lic" | head -c 3000 || true)
			case $head in
			*"Apache License"*) spdx=Apache-2.0 ;;
			*"Mozilla Public License"*) spdx=MPL-2.0 ;;
			*"Neither the name"*) spdx=BSD-3-Clause ;;
			*"Redistribution and use"*) spdx=BSD-2-Clause ;;
			*"Permission is hereby granted"*) spdx=Expat ;;
			*) echo "build-deb: unknown licence for $path ($dir/$lic)" >&2; exit 1 ;;
			esac
			printf '\nFiles: vendor/%s/*\nCopyright: The %s authors\nComment: Go module %s %s, statically linked into /usr/bin/mailtower.\nLicense: %s\n' \
				"$path" "$path" "$path" "$ver" "$spdx"
		done
	cat "$pkg/licenses.in"
} >"$doc/copyright"

# changelog.gz: a native package's Debian changelog, one entry per build.
{
	printf 'mailtower (%s) unstable; urgency=medium\n\n' "$version"
	printf '  * Upstream build of %s (commit %s).\n\n' "$VERSION" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	printf ' -- %s  %s\n' "$DEB_MAINTAINER" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$doc/changelog.gz"

if [ -s "$pkg/lintian-overrides" ]; then
	install -D -m 0644 "$pkg/lintian-overrides" "$stage/usr/share/lintian/overrides/mailtower"
fi

# Control area.
install -d -m 0755 "$stage/DEBIAN"
for s in postinst prerm postrm; do install -m 0755 "$pkg/$s" "$stage/DEBIAN/$s"; done
echo /etc/mailtower/mailtower.toml >"$stage/DEBIAN/conffiles"
chmod 0644 "$stage/DEBIAN/conffiles"
# libc6: the newest GLIBC symbol version the binary needs (cgo).
glibc=$(objdump -T mailtower | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1)
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$DEB_MAINTAINER|" \
	-e "s|@SIZE@|$size|" -e "s|@LIBC@|libc6 (>= $glibc)|" "$pkg/control.in" >"$stage/DEBIAN/control"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"

# Reproducible: every file dated SOURCE_DATE_EPOCH, owned by root.
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
