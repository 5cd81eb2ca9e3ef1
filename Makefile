# Developer shortcuts; every target is also documented in HACKING.md.
.PHONY: build test eval

build:
	go build -o mailtower .

test:
	go vet ./... && go test ./...

# k-fold cross-validation of the built-in spam engines on the public
# SpamAssassin corpus (downloads ~20 MB into ~/.cache/mailtower-eval once).
eval:
	scripts/eval.sh
