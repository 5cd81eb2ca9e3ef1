#!/usr/bin/env bash
# test-postgres.sh — run unit tests against PostgreSQL instead of SQLite:
# starts a private postgresql-15 cluster (initdb/pg_ctl, temporary
# directory, free loopback port, as the postgres user when run as root),
# runs `go test` with MAILTOWER_TEST_POSTGRES pointing at it (each test
# gets a fresh database, see store/storetest) and stops it again.
#
# Usage: scripts/test-postgres.sh [go test arguments]   (default ./...)
set -euo pipefail
cd "$(dirname "$0")/.."

bin=/usr/lib/postgresql/15/bin
dir=$(mktemp -d /tmp/mailtower-pg.XXXXXX)
as=()
if [ "$(id -u)" -eq 0 ]; then
	chown postgres: "$dir"
	as=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as[@]}" "$bin/initdb" -D "$dir/data" -U mailtower --auth=trust -E UTF8 --no-sync >/dev/null
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
	-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
trap '"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; rm -rf "$dir"' EXIT

export MAILTOWER_TEST_POSTGRES="postgres://mailtower@127.0.0.1:$port/postgres?sslmode=disable"
[ $# -gt 0 ] || set -- ./...
go test "$@"
