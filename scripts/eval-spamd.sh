# eval-spamd.sh — sourced by eval.sh: start_spamd DIR starts a private
# `spamd -L` (local rules only: no network tests) on a free loopback port,
# as the integration harness does: the machine's site rules copied into
# DIR/site with SpamAssassin's own Bayes and auto-learning off, so that
# the evaluation measures spamd's rules and never trains it. Sets SPAMD
# (127.0.0.1:PORT) and SPAMD_PID; the caller stops it (kill $SPAMD_PID).
# As root spamd drops to debian-spamd (or nobody).

# free_port prints a loopback TCP port nobody listens on.
free_port() {
	used=$(ss -Htln 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }')
	while :; do
		p=$(awk 'BEGIN { srand(); print 20000 + int(rand() * 30000) }')
		echo "$used" | grep -qx "$p" || { echo "$p"; return; }
		sleep 1
	done
}

start_spamd() {
	dir=$1
	rm -rf "$dir" && mkdir -p "$dir/site"
	chmod 755 "$dir" "$dir/site"
	for f in /etc/spamassassin/*.pre /etc/spamassassin/*.cf; do
		[ -f "$f" ] && cp "$f" "$dir/site/"
	done
	printf 'use_bayes 0\nbayes_auto_learn 0\n' >"$dir/site/zz-mailtower-eval.cf"
	chmod 644 "$dir/site/"*
	set --
	if [ "$(id -u)" -eq 0 ]; then
		u=debian-spamd
		id "$u" >/dev/null 2>&1 || u=nobody
		set -- -u "$u"
	fi
	port=$(free_port)
	SPAMD=127.0.0.1:$port
	spamd -L -x "$@" --listen="$SPAMD" --allowed-ips=127.0.0.1 --siteconfigpath="$dir/site" \
		--max-children=2 --min-children=1 --syslog=stderr --pidfile="$dir/spamd.pid" 2>"$dir/spamd.log" &
	SPAMD_PID=$!
	# spamd compiles its rules first: wait until it listens.
	i=0
	until ss -Htln 2>/dev/null | awk '{ print $4 }' | grep -qx "127.0.0.1:$port"; do
		i=$((i + 1))
		if [ $i -gt 90 ] || ! kill -0 "$SPAMD_PID" 2>/dev/null; then
			echo "eval.sh: spamd did not start on $SPAMD (log: $dir/spamd.log)" >&2
			tail -5 "$dir/spamd.log" >&2
			exit 1
		fi
		sleep 2
	done
	echo "eval.sh: private spamd on $SPAMD (pid $SPAMD_PID)" >&2
}
