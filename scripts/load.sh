#!/usr/bin/env bash
# load.sh — end-to-end throughput: the same mail through one private
# Postfix, once without and once with mailtower's milter, in the same run;
# prints messages/s for each, the ratio "with mailtower / without" and
# the ratio to a no-op go-milter in the same run (goal: at least 0.90).
# Stops by itself (smtp-source sends a fixed number of messages).
#
# Usage: sudo scripts/load.sh [-m MESSAGES] [-s SESSIONS] [-l BYTES] [-r ROUNDS] [-e clamd,spamd]
#   defaults: -m 2000 -s 20 -l 10240 -r 2, built-in scanning only
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

export LOAD_MESSAGES=2000 LOAD_SESSIONS=20 LOAD_SIZE=10240 LOAD_ROUNDS=2 LOAD_SCANNERS=
while getopts "m:s:l:r:e:h" opt; do
	case $opt in
	m) LOAD_MESSAGES=$OPTARG ;;
	s) LOAD_SESSIONS=$OPTARG ;;
	l) LOAD_SIZE=$OPTARG ;;
	r) LOAD_ROUNDS=$OPTARG ;;
	e) LOAD_SCANNERS=$OPTARG ;;
	*) sed -n '2,10p' "$0"; exit 2 ;;
	esac
done

if [ "$(id -u)" -ne 0 ]; then
	echo "load.sh: needs root (it starts a private Postfix instance)" >&2
	exit 1
fi
command -v smtp-source >/dev/null || { echo "load.sh: smtp-source missing: run scripts/install-deps.sh" >&2; exit 1; }

go test -tags 'integration load' -count=1 -timeout 60m -run '^TestLoad$' -v ./integration/
