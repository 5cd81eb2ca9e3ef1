#!/usr/bin/env bash
# load.sh — end-to-end throughput: the same mail through one private
# Postfix, once without and once with mailtower's milter, in the same run;
# prints messages/s for each, the ratio "with mailtower / without" and
# the ratio to a no-op go-milter in the same run (goal: at least 0.90),
# and per phase Postfix's log lines/s against the lines/s the mail
# history's follower read them at (the ratio, and how far it was behind).
# Stops by itself (smtp-source sends a fixed number of messages).
#
# Usage: sudo scripts/load.sh [-m MESSAGES] [-s SESSIONS] [-l BYTES] [-r ROUNDS] [-e clamd,spamd] [-P]
#   defaults: -m 2000 -s 20 -l 10240 -r 2, built-in scanning only
# With -P: a second gateway on a private PostgreSQL server adds a phase,
#   and the ratio mailtower on PostgreSQL / on SQLite is printed.
# With -c: real mail instead of smtp-source's (the corpus `make eval`
#   downloads; its older two thirds learned, the newest third sent), to a
#   no-op milter, mailtower built-in only and, with -e spamd, the default
#   install with spamd when = "always" and "uncertain" (the cascade);
#   -k KIND sends one kind (plain, html, large-html, attachment), -p FILE
#   writes a CPU profile of mailtower's built-in phase. Defaults with -c:
#   the 1,000 test messages once, -r 1.
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

export LOAD_MESSAGES= LOAD_SESSIONS=20 LOAD_SIZE=10240 LOAD_ROUNDS= LOAD_SCANNERS= LOAD_KIND= LOAD_CPUPROFILE= LOAD_POSTGRES=
TEST=TestLoad
while getopts "m:s:l:r:e:ck:p:Ph" opt; do
	case $opt in
	m) LOAD_MESSAGES=$OPTARG ;;
	s) LOAD_SESSIONS=$OPTARG ;;
	l) LOAD_SIZE=$OPTARG ;;
	r) LOAD_ROUNDS=$OPTARG ;;
	e) LOAD_SCANNERS=$OPTARG ;;
	c) TEST=TestLoadCorpus ;;
	k) LOAD_KIND=$OPTARG ;;
	p) LOAD_CPUPROFILE=$(realpath -m "$OPTARG") ;;
	P) LOAD_POSTGRES=1 ;;
	*) sed -n '2,20p' "$0"; exit 2 ;;
	esac
done
if [ -n "$LOAD_CPUPROFILE" ]; then
	# A test-only build tag: serve writes the profile while it runs.
	export MAILTOWER_BUILD_TAGS=mailtower_cpuprofile
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "load.sh: needs root (it starts a private Postfix instance)" >&2
	exit 1
fi
command -v smtp-source >/dev/null || { echo "load.sh: smtp-source missing: run scripts/install-deps.sh" >&2; exit 1; }

go test -tags 'integration load' -count=1 -timeout 60m -run "^$TEST\$" -v ./integration/
