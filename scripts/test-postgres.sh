#!/usr/bin/env bash
# test-postgres.sh — run unit tests against PostgreSQL instead of SQLite:
# starts a private postgresql-15 cluster (scripts/pg-private.sh: temporary
# directory, free loopback port, as the postgres user when run as root),
# runs `go test` with MAILTOWER_TEST_POSTGRES pointing at it (each test
# gets a fresh database, see store/storetest) and stops it again.
#
# Usage: scripts/test-postgres.sh [go test arguments]   (default ./...)
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/pg-private.sh
pg_start
trap pg_stop EXIT

export MAILTOWER_TEST_POSTGRES="$PG_URL"
[ $# -gt 0 ] || set -- ./...
go test "$@"
