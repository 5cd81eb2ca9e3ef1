# mailtower — build, test and install.
#
#   make build         the binary ./mailtower (version stamped from git)
#   make test          unit tests with the race detector (offline, no root)
#   make integration   tests against real Postfix, clamd, spamd (root)
#   make bench         benchmarks
#   make eval          cross-validation of the built-in spam engines on the
#                      public SpamAssassin corpus (downloads ~20 MB once)
#   make install       binary, example config, contrib files under $(DESTDIR)$(PREFIX)
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
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
VPKG    := github.com/mailtower/mailtower/internal/version
LDFLAGS := -s -w -X $(VPKG).Version=$(VERSION) -X $(VPKG).Commit=$(COMMIT) -X $(VPKG).Date=$(DATE)

.PHONY: all build test integration bench eval install fmt vet clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o mailtower .

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
	rm -rf tmp dist
