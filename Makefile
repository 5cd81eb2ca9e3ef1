# mailtower — build, test and install.
#
#   make build         the binary ./mailtower (version stamped from git)
#   make test          unit tests with the race detector (offline, no root)
#   make integration   tests against real Postfix, clamd, spamd (root)
#   make bench         benchmarks
#   make eval          time-ordered and k-fold evaluation of the spam engines (built-in,
#                      + a private spamd, + spamd as cascade) on the public SpamAssassin
#                      corpus (downloads ~20 MB once; SPAMD=none: built-in only)
#   make install       binary, example config, contrib files under $(DESTDIR)$(PREFIX)
#   make man           man pages (mailtower(8) per command, mailtower.toml(5)) into build/man
#   make generate      rewrite the generated files that are committed (config reference,
#                      contrib/mailtower.toml, contrib/postfix) from the code
#   make deb           the Debian package build/mailtower_<version>_<arch>.deb
#   make fmt | vet | clean

GO        ?= go
PREFIX    ?= /usr/local
DESTDIR   ?=
BINDIR    ?= $(PREFIX)/bin
SHAREDIR  ?= $(PREFIX)/share/mailtower
DOCDIR    ?= $(PREFIX)/share/doc/mailtower
UNITDIR   ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
# Reproducible builds: the build date is SOURCE_DATE_EPOCH when the caller
# sets it (Debian's build tools do), else the time of the last commit, so
# that building the same commit twice gives the same bytes.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || date +%s)
export SOURCE_DATE_EPOCH
DATE    ?= $(shell date -u -d @$(SOURCE_DATE_EPOCH) +%Y-%m-%dT%H:%M:%SZ)
VPKG    := github.com/mailtower/mailtower/internal/version
# Build tags: none needed today; distro packagers may add e.g. sqlite_fts5.
TAGS    ?=
# -trimpath and an empty build id keep paths and randomness out of the
# binary; PIE plus the hardening flags (RELRO, BIND_NOW) is what Debian
# expects of a daemon. cgo is required (SQLite).
export CGO_ENABLED = 1
export CGO_CFLAGS ?= -g -O2 -fstack-protector-strong -D_FORTIFY_SOURCE=2
export CGO_LDFLAGS ?= -Wl,-z,relro -Wl,-z,now
LDFLAGS := -s -w -buildid= -X $(VPKG).Version=$(VERSION) -X $(VPKG).Commit=$(COMMIT) -X $(VPKG).Date=$(DATE)
BUILDFLAGS := -trimpath -buildmode=pie -tags '$(TAGS)' -ldflags '$(LDFLAGS)'

.PHONY: all build test integration bench eval install man generate deb fmt vet clean

all: build

build:
	$(GO) build $(BUILDFLAGS) -o mailtower .

# Man pages are generated from the binary (cobra tree and config tags) at
# build time, never committed: they cannot drift from the code.
man: build
	rm -rf build/man
	./mailtower man build/man

generate:
	$(GO) test ./internal/configdoc ./internal/postfixconf -count=1 -update

# The .deb: see contrib/packaging/build-deb.sh and docs/packaging.md.
deb: build man
	VERSION='$(VERSION)' sh contrib/packaging/build-deb.sh

test:
	$(GO) test -race ./...

integration:
	$(GO) test -tags integration -count=1 -timeout 30m -v ./integration/...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

eval:
	scripts/eval.sh

# The example config goes to $(SHAREDIR) always, and to
# $(SYSCONFDIR)/mailtower/mailtower.toml only when none exists: an
# install never overwrites an admin's configuration.
install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR)/contrib $(DESTDIR)$(DOCDIR) $(DESTDIR)$(UNITDIR)
	install -m 0755 mailtower $(DESTDIR)$(BINDIR)/mailtower
	install -m 0644 contrib/mailtower.toml $(DESTDIR)$(SHAREDIR)/mailtower.toml.example
	cp -R contrib/. $(DESTDIR)$(SHAREDIR)/contrib/
	install -m 0644 contrib/systemd/mailtower.service $(DESTDIR)$(UNITDIR)/mailtower.service
	sed -i 's|/usr/bin/mailtower|$(BINDIR)/mailtower|g' $(DESTDIR)$(UNITDIR)/mailtower.service
	install -m 0644 README.md HACKING.md $(DESTDIR)$(DOCDIR)/
	if [ -d docs ]; then cp -R docs/. $(DESTDIR)$(DOCDIR)/; fi
	install -d $(DESTDIR)$(SYSCONFDIR)/mailtower
	[ -e $(DESTDIR)$(SYSCONFDIR)/mailtower/mailtower.toml ] || \
		install -m 0640 contrib/mailtower.toml $(DESTDIR)$(SYSCONFDIR)/mailtower/mailtower.toml

fmt:
	gofmt -w .

vet:
	$(GO) vet ./...
	$(GO) vet -tags integration ./integration/...

clean:
	rm -f mailtower
	rm -rf tmp dist build
