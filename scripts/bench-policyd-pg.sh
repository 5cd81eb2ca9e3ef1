#!/bin/bash
# bench-policyd-pg.sh — policy decisions/s of mailtower's policy daemon on
# SQLite against the same daemon on a private PostgreSQL server, in the
# same run and under the same load (tools/loadtest: CONNS persistent
# connections, every request a new greylisting triplet of a catch-all
# domain, so every decision reads and writes the greylist). Run by
# `scripts/bench-policyd.sh --postgres`; see docs/cluster-benchmarks.md.
#
#   DUR=10s CONNS=50 ROUNDS=3 RATE=200 scripts/bench-policyd.sh --postgres
#   PG_FSYNC=on scripts/bench-policyd.sh --postgres   # commits wait for the disk
set -euo pipefail
DUR=${DUR:-10s}
CONNS=${CONNS:-50}
ROUNDS=${ROUNDS:-3}
RATE=${RATE:-200}
cd "$(dirname "$0")/.."
. scripts/pg-private.sh

work=$(mktemp -d /tmp/bench-policyd-pg.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	pg_stop
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/mailtower" .
go build -o "$work/loadtest" ./tools/loadtest
pg_start
url=$(pg_createdb mailtower)
read -r p1 s1 p2 s2 <<<"$("$work/loadtest" -free-ports 4 | tr "\n" " ")"

# One gateway per engine, configured alike but for the database.
gateway() { # NAME POLICY-PORT SOCKETMAP-PORT DATABASE
	mkdir -p "$work/$1"
	cat >"$work/$1/mailtower.toml" <<TOML
data_dir = "$work/$1/data"
database = "$4"
[policyd]
listen = "127.0.0.1:$2"
socketmap = "127.0.0.1:$3"
[greylist]
delay = "30s"
TOML
	"$work/mailtower" --config "$work/$1/mailtower.toml" domain add catch.example --relay '[127.0.0.1]:2525' --catch-all >/dev/null
	"$work/mailtower" --config "$work/$1/mailtower.toml" policyd 2>"$work/$1/policyd.log" &
	pids+=($!)
	"$work/loadtest" -wait "127.0.0.1:$2"
}
gateway sqlite "$p1" "$s1" ""
gateway postgres "$p2" "$s2" "$url"

echo "$(nproc) cores; $CONNS connections; $DUR per target; every request a new triplet"
echo "mailtower $(git rev-parse --short HEAD 2>/dev/null || echo '?'); $("$pg_bin/postgres" --version), fsync=${PG_FSYNC:-off}"
for r in $(seq "$ROUNDS"); do
	echo "== saturation, round $r of $ROUNDS"
	"$work/loadtest" -c "$CONNS" -d "$DUR" -domain catch.example -expect "450 4.7.1|DEFER_IF_PERMIT" -baseline sqlite \
		sqlite="127.0.0.1:$p1" postgres="127.0.0.1:$p2"
done
echo "== paced at $RATE/s in total: latency of each decision"
"$work/loadtest" -c "$CONNS" -d "$DUR" -rate "$RATE" -domain catch.example -baseline sqlite \
	sqlite="127.0.0.1:$p1" postgres="127.0.0.1:$p2"
