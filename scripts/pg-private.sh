# pg-private.sh — sourced by scripts that need a private PostgreSQL
# server: pg_start creates a cluster of Debian's postgresql-15 in a
# temporary directory (as the postgres user when run as root: PostgreSQL
# refuses root), starts it on a free loopback port with trust
# authentication and sets PG_URL to the URL of its "postgres" database
# (an admin URL: CREATE DATABASE works through it); pg_stop stops it and
# removes the directory. fsync is off (the server is for tests, never
# for data that must survive) unless PG_FSYNC=on: benchmarks that stand
# for a production server, which waits for its WAL on disk at commit.
#
#   . scripts/pg-private.sh; pg_start; trap pg_stop EXIT
#   pg_createdb NAME    # prints the URL of a new empty database NAME

pg_bin=/usr/lib/postgresql/15/bin

pg_start() {
	[ -x "$pg_bin/pg_ctl" ] || { echo "postgresql-15 is not installed (scripts/install-deps.sh)" >&2; return 1; }
	pg_dir=$(mktemp -d /tmp/mailtower-pg.XXXXXX)
	pg_as=()
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$pg_dir"
		pg_as=(runuser -u postgres --)
	fi
	pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"${pg_as[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U mailtower --auth=trust -E UTF8 --no-sync >/dev/null
	"${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
		-o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=${PG_FSYNC:-off} -c max_connections=300" start >/dev/null
	PG_URL="postgres://mailtower@127.0.0.1:$pg_port/postgres?sslmode=disable"
}

pg_createdb() {
	"$pg_bin/psql" -q -h 127.0.0.1 -p "$pg_port" -U mailtower -d postgres -c "CREATE DATABASE \"$1\"" >/dev/null
	echo "postgres://mailtower@127.0.0.1:$pg_port/$1?sslmode=disable"
}

pg_stop() {
	[ -n "${pg_dir:-}" ] || return 0
	"${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null || true
	rm -rf "$pg_dir"
	pg_dir=
}
