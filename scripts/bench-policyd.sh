#!/bin/bash
# Benchmark: mailtower's policy daemon next to postgrey (the Debian
# package) on this machine, in the same run, under the same load:
# 50 persistent connections (one per smtpd process) sending RCPT requests
# with new greylisting triplets back to back. Prints decisions/s, latency
# percentiles and the throughput ratios. Both servers run with their
# default logging (a line per greylisted attempt) to a file. Stops by
# itself; run as root so that postgrey can be installed and run under its
# own user.
#
#   scripts/bench-policyd.sh     # DUR=10s CONNS=50 RATE=200 HIGHRATE=2000 by default
#
# With --postgres: mailtower on SQLite against mailtower on a private
# PostgreSQL server (scripts/pg-private.sh) instead of postgrey, in the
# same run: ROUNDS (3) alternating saturation runs, each printing the
# ratio postgres/sqlite, then both paced at RATE.
set -euo pipefail
DUR=${DUR:-10s}
CONNS=${CONNS:-50}
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--postgres" ]; then
	exec bash scripts/bench-policyd-pg.sh
fi

if ! command -v postgrey >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y postgrey >/dev/null
fi

work=$(mktemp -d /tmp/bench-policyd.XXXXXX)
chmod 755 "$work" # postgrey drops to its own user and must reach its dbdir
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/mailtower" .
go build -o "$work/loadtest" ./tools/loadtest
read -r p_policy p_socketmap p_postgrey p_null <<<"$("$work/loadtest" -free-ports 4 | tr "\n" " ")"

cat >"$work/mailtower.toml" <<TOML
data_dir = "$work/data"
[policyd]
listen = "127.0.0.1:$p_policy"
socketmap = "127.0.0.1:$p_socketmap"
[greylist]
delay = "30s"
TOML
mt() { "$work/mailtower" --config "$work/mailtower.toml" "$@"; }
mt domain add catch.example --relay '[127.0.0.1]:2525' --catch-all >/dev/null
"$work/mailtower" --config "$work/mailtower.toml" policyd 2>"$work/mailtower.log" &
pids+=($!)

mkdir -p "$work/postgrey"
chown postgrey: "$work/postgrey" 2>/dev/null || true
postgrey --inet="127.0.0.1:$p_postgrey" --dbdir="$work/postgrey" --delay=30 \
	--pidfile="$work/postgrey.pid" 2>"$work/postgrey.log" &
pids+=($!)

# A null policy server (answers DUNNO without work) shows the latency floor
# this machine sets (scheduling, loopback) under the same paced load.
"$work/loadtest" -serve-null "127.0.0.1:$p_null" &
pids+=($!)

"$work/loadtest" -wait "127.0.0.1:$p_null"
"$work/loadtest" -wait "127.0.0.1:$p_policy"
"$work/loadtest" -wait "127.0.0.1:$p_postgrey"
echo "$(nproc) cores; $CONNS connections; $DUR per server; every request a new triplet"
echo "mailtower $(git rev-parse --short HEAD 2>/dev/null || echo '?'); $(postgrey --version 2>&1 | head -1)"
echo "== saturation: each connection sends its next request as soon as the answer comes"
echo "   (null: a server that does no work, the ceiling this machine sets with the load generator on it)"
"$work/loadtest" -c "$CONNS" -d "$DUR" -domain catch.example -expect "450 4.7.1|DEFER_IF_PERMIT|DUNNO" -baseline postgrey \
	mailtower="127.0.0.1:$p_policy" postgrey="127.0.0.1:$p_postgrey" null="127.0.0.1:$p_null"
echo "== paced at ${RATE:=200}/s in total (a rate both sustain): latency of each decision"
"$work/loadtest" -c "$CONNS" -d "$DUR" -rate "$RATE" -domain catch.example \
	mailtower="127.0.0.1:$p_policy" postgrey="127.0.0.1:$p_postgrey"
echo "== mailtower and the null server, paced at ${HIGHRATE:=2000}/s (null = the machine's floor)"
"$work/loadtest" -c "$CONNS" -d "$DUR" -rate "$HIGHRATE" -domain catch.example -expect "450 4.7.1|DUNNO" \
	mailtower="127.0.0.1:$p_policy" null="127.0.0.1:$p_null"
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	echo "== same CPU budget: every server pinned to CPU 1, the load generator to CPU 0 (saturation)"
	for p in "${pids[@]}"; do taskset -a -p -c 1 "$p" >/dev/null; done
	taskset -c 0 "$work/loadtest" -c "$CONNS" -d "$DUR" -domain catch.example -expect "450 4.7.1|DEFER_IF_PERMIT|DUNNO" -baseline postgrey \
		mailtower="127.0.0.1:$p_policy" postgrey="127.0.0.1:$p_postgrey" null="127.0.0.1:$p_null"
fi
