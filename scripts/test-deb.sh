#!/usr/bin/env bash
# test-deb.sh — the Debian package, end to end (root; called by test.sh):
#   build it (make deb), inspect its contents and conffiles, run lintian
#   (no errors, no warnings), install it with apt-get, check the user,
#   directories and that a changed conffile survives a reinstall, start the
#   installed binary as the mailtower user with the installed config (via
#   the unit when systemd is PID 1, else directly with setpriv), pass a
#   message through a private Postfix instance into a capturing sink,
#   watch the metrics counters move, then remove and purge the package and
#   check that nothing is left.
#
# It refuses to run where mailtower is already installed by other means,
# and uses the installed config's fixed loopback ports (milter 8891,
# policy 10040, socketmap 10041, metrics 9891): it stops with a clear
# message if they are taken.
#
# Usage: sudo scripts/test-deb.sh [--keep]   (--keep: leave the package installed)
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH" DEBIAN_FRONTEND=noninteractive
keep=false
[ "${1:-}" = --keep ] && keep=true

step() { printf '\n==> %s\n' "$*"; }
fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }
show() { echo "\$ $*"; "$@"; }

[ "$(id -u)" -eq 0 ] || fail "run as root (it installs and purges the package)"
if dpkg-query -W -f='${Status}' mailtower 2>/dev/null | grep -q "ok installed"; then
	fail "mailtower is installed already; purge it first (apt-get purge mailtower)"
fi
[ ! -e /usr/bin/mailtower ] || fail "/usr/bin/mailtower exists but is not from the package"

tmp=$(mktemp -d /tmp/mailtower-test-deb.XXXXXX)
chmod 0755 "$tmp"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -f "$tmp/pf/queue/pid/master.pid" ] && postfix -c "$tmp/pf" stop >/dev/null 2>&1 || true
	wait 2>/dev/null || true
	if [ "${ok:-false}" = true ]; then rm -rf "$tmp"; else echo "test-deb: logs kept in $tmp" >&2; fi
}
trap cleanup EXIT

# freeport prints a loopback TCP port nobody listens on.
freeport() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
	done
	fail "no free port"
}
# waitport waits until something listens on 127.0.0.1:$1.
waitport() {
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}
metric() { curl -fsS http://127.0.0.1:9891/metrics | grep -E "$1" || true; }

step "build the package (make deb)"
command -v lintian >/dev/null || apt-get install -y -q --no-install-recommends lintian >/dev/null
make deb >"$tmp/build.log" 2>&1 || { tail -30 "$tmp/build.log"; fail "make deb"; }
deb=$(ls build/mailtower_*.deb)
echo "$deb"

step "contents (dpkg-deb -I / -c)"
show dpkg-deb -I "$deb"
dpkg-deb -c "$deb" >"$tmp/contents"
for f in ./usr/bin/mailtower ./etc/mailtower/mailtower.toml ./lib/systemd/system/mailtower.service \
	./usr/share/man/man8/mailtower.8.gz ./usr/share/man/man8/mailtower-domain-check.8.gz \
	./usr/share/man/man5/mailtower.toml.5.gz ./usr/share/doc/mailtower/copyright \
	./usr/share/doc/mailtower/changelog.gz ./usr/share/doc/mailtower/examples/postfix/main.cf \
	./usr/share/doc/mailtower/examples/postfix/master.cf ./usr/share/doc/mailtower/examples/postfix/README.md \
	./usr/share/doc/mailtower/config-reference.md; do
	grep -q " $f\$" "$tmp/contents" || fail "package lacks $f"
done
grep -E 'usr/bin/mailtower|etc/mailtower|systemd|man8/mailtower.8|man5|examples/postfix' "$tmp/contents"
[ "$(dpkg-deb -f "$deb" Package)" = mailtower ] || fail "Package field"
echo "\$ dpkg-deb --info $deb conffiles"
dpkg-deb --info "$deb" conffiles | tee "$tmp/conffiles"
[ "$(cat "$tmp/conffiles")" = /etc/mailtower/mailtower.toml ] || fail "conffiles should list exactly /etc/mailtower/mailtower.toml"

step "lintian"
lintian --allow-root -I --pedantic --tag-display-limit 0 "$deb" | tee "$tmp/lintian" || true
if grep -E '^(E|W):' "$tmp/lintian"; then fail "lintian reports errors or warnings"; fi
echo "lintian: no errors, no warnings (info tags are explained in docs/packaging.md)"

step "install (apt-get install ./$deb)"
show apt-get install -y -q "./$deb" 2>&1 | grep -v -e 'Reading database' -e '^debconf: delaying' | tail -n 8
show getent passwd mailtower
show stat -c '%n %U:%G %a' /var/lib/mailtower /var/spool/postfix/mailtower /etc/mailtower/mailtower.toml /usr/bin/mailtower
[ "$(stat -c '%U:%G %a' /var/lib/mailtower)" = "mailtower:mailtower 750" ] || fail "/var/lib/mailtower owner/mode"
[ "$(stat -c '%U:%G %a' /var/spool/postfix/mailtower)" = "mailtower:postfix 750" ] || fail "milter socket dir owner/mode"
show mailtower version
show man -w mailtower.toml
if command -v systemd-analyze >/dev/null; then
	show systemd-analyze verify /lib/systemd/system/mailtower.service
	echo "\$ systemd-analyze security --offline=true mailtower.service (exposed settings only)"
	systemd-analyze security --offline=true /lib/systemd/system/mailtower.service 2>&1 | grep -E '^✗|Overall' || true
fi

step "a changed conffile survives a reinstall"
echo '# changed by the admin' >>/etc/mailtower/mailtower.toml
apt-get install -y -q --reinstall "./$deb" >/dev/null 2>&1
grep -q '^# changed by the admin$' /etc/mailtower/mailtower.toml || fail "reinstall overwrote the changed conffile"
echo "kept: $(tail -n1 /etc/mailtower/mailtower.toml)"

step "start the installed binary as mailtower with the installed config"
for p in 8891 9891 10040 10041; do
	if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && ! [ -d /run/systemd/system ]; then
		fail "port $p is taken: the installed config listens there"
	fi
done
if [ -d /run/systemd/system ]; then
	show systemctl restart mailtower
	show systemctl --no-pager status mailtower | head -n 5
else
	echo "(systemd is not PID 1: starting it directly, as the unit would)"
	setpriv --reuid=mailtower --regid=mailtower --init-groups --no-new-privs \
		/usr/bin/mailtower serve --config /etc/mailtower/mailtower.toml >"$tmp/mailtower.log" 2>&1 &
	pids+=($!)
fi
waitport 8891 || { cat "$tmp/mailtower.log" 2>/dev/null; fail "milter not listening on 8891"; }
waitport 9891 || fail "metrics not listening on 9891"
show ps -o user,pid,args -u mailtower

step "a private Postfix instance in front of it, a sink behind it"
sinkport=$(freeport)
mkdir -p "$tmp/sink" && chmod 0777 "$tmp/sink"
smtp-sink -u nobody -d "$tmp/sink/%M." "127.0.0.1:$sinkport" 10 &
pids+=($!)
# The customer domain, relayed to the sink; added as the mailtower user.
show runuser -u mailtower -- mailtower domain add customer.test --relay "127.0.0.1:$sinkport"
show runuser -u mailtower -- mailtower user add user@customer.test
smtpport=$(freeport)
pf=$tmp/pf
mkdir -p "$pf"
cat >"$pf/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $pf/queue
data_directory = $pf/data
mail_owner = postfix
setgid_group = postdrop
myhostname = gw.customer.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relay_domains = customer.test
transport_maps = inline:{ customer.test=smtp:[127.0.0.1]:$sinkport }
smtpd_recipient_restrictions = reject_unauth_destination, check_policy_service inet:127.0.0.1:10040
smtpd_policy_service_default_action = 451 4.3.5 Policy service unavailable
smtpd_milters = inet:127.0.0.1:8891
non_smtpd_milters =
milter_default_action = tempfail
maillog_file = /dev/stdout
CF
cat >"$pf/master.cf" <<CF
127.0.0.1:$smtpport inet n - n - - smtpd
$(grep -v '^#' integration/testdata/postfix-services.cf)
CF
mkdir -p "$pf/queue" "$pf/data"
/usr/lib/postfix/sbin/post-install config_directory="$pf" queue_directory="$pf/queue" \
	data_directory="$pf/data" meta_directory=/etc/postfix create-missing >/dev/null
chown postfix "$pf/data"
postfix -c "$pf" check >"$tmp/postfix-check.log" 2>&1 || { cat "$tmp/postfix-check.log"; fail "postfix check"; }
/usr/lib/postfix/sbin/master -c "$pf" -d >"$tmp/postfix.log" 2>&1 &
pids+=($!)
waitport "$smtpport" || { cat "$tmp/postfix.log"; fail "postfix did not start"; }
echo "postfix on 127.0.0.1:$smtpport, sink on 127.0.0.1:$sinkport"

step "metrics before"
metric '^mailtower_(messages_total|policy_decisions_total|scanner_duration_seconds_count|build_info|quarantine_messages|greylist_triplets)' | tee "$tmp/before"

step "send a message through Postfix"
show swaks --server "127.0.0.1:$smtpport" --from sender@example.org --to user@customer.test \
	--header "Subject: package test" --body "Hello from the installed package." 2>&1 | grep -E '^(<-|->) *(250|MAIL|RCPT|DATA|QUIT|4|5)' || true
for _ in $(seq 100); do ls "$tmp/sink" | grep -q . && break; sleep 0.2; done
got=$(ls "$tmp/sink" | head -n1)
[ -n "$got" ] || { tail -20 "$tmp/postfix.log"; fail "the message did not reach the sink"; }
echo "sink received $got:"
grep -E '^(X-Mailtower-[A-Za-z]+|Subject):' "$tmp/sink/$got" || true
grep -q '^X-Mailtower-Scanned:' "$tmp/sink/$got" || fail "the message was not scanned by mailtower"

if [ -f "$tmp/mailtower.log" ]; then
	echo "mailtower's log line for it:"
	grep 'msg=message' "$tmp/mailtower.log" || true
fi

step "metrics after"
metric '^mailtower_(messages_total|policy_decisions_total|scanner_duration_seconds_count|build_info|quarantine_messages|greylist_triplets)' | tee "$tmp/after"
grep -q '^mailtower_messages_total{action="pass",verdict="clean"} 1$' "$tmp/after" || fail "messages_total did not count the message"
grep -q '^mailtower_policy_decisions_total{action="DUNNO"} [1-9]' "$tmp/after" || fail "policy_decisions_total did not count the RCPT"

step "stop"
if [ -d /run/systemd/system ]; then systemctl stop mailtower; else kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true; fi

step "a unix milter socket inside a chrooted smtpd (Debian's layout)"
# The private instance's queue directory is its chroot jail, as
# /var/spool/postfix is the system one's. The socket directory is made
# the way postinst makes /var/spool/postfix/mailtower; the config is the
# installed one with the milter on that socket (metrics off).
install -d -o mailtower -g postfix -m 0750 "$pf/queue/mailtower"
sed -e "s|^#listen = \"inet:127.0.0.1:8891\"|listen = \"unix:$pf/queue/mailtower/milter.sock\"|" \
	-e 's|^#listen = "127.0.0.1:9891"|listen = ""|' /etc/mailtower/mailtower.toml >"$tmp/unix.toml"
grep -n '^listen' "$tmp/unix.toml"
setpriv --reuid=mailtower --regid=mailtower --init-groups --no-new-privs \
	/usr/bin/mailtower serve --config "$tmp/unix.toml" >"$tmp/mailtower-unix.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S "$pf/queue/mailtower/milter.sock" ] && break; sleep 0.2; done
[ -S "$pf/queue/mailtower/milter.sock" ] || { cat "$tmp/mailtower-unix.log"; fail "no milter socket"; }
ls -la "$pf/queue/mailtower"
sed -i "s|^127.0.0.1:$smtpport inet n - n - - smtpd|127.0.0.1:$smtpport inet n - y - - smtpd|" "$pf/master.cf"
postconf -c "$pf" -e "smtpd_milters = unix:/mailtower/milter.sock"
grep "^127.0.0.1:$smtpport " "$pf/master.cf"
postfix -c "$pf" reload >/dev/null 2>&1
sleep 1
swaks --server "127.0.0.1:$smtpport" --from sender@example.org --to user@customer.test \
	--header "Subject: package test over the chroot socket" --body "Hello again." >"$tmp/swaks2.log" 2>&1 || true
grep -E '^<- +250 2.0.0' "$tmp/swaks2.log" || { tail "$tmp/swaks2.log"; tail "$tmp/postfix.log"; fail "second message refused"; }
for _ in $(seq 100); do [ "$(ls "$tmp/sink" | wc -l)" -ge 2 ] && break; sleep 0.2; done
second=$(grep -l 'over the chroot socket' "$tmp/sink"/* | head -n1)
[ -n "$second" ] || fail "the message over the unix socket did not arrive"
grep -E '^X-Mailtower-Scanned:' "$second" || fail "not scanned over the unix socket"
if grep -i 'warning:.*milter' "$tmp/postfix.log"; then fail "postfix warned about the milter"; fi
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
postfix -c "$pf" stop >/dev/null 2>&1 || true
if $keep; then ok=true; step "package left installed (--keep)"; exit 0; fi

step "remove: configuration, data and user stay"
show apt-get remove -y -q mailtower 2>&1 | grep -v 'Reading database' | tail -n 2
[ ! -e /usr/bin/mailtower ] || fail "binary left after remove"
[ -f /etc/mailtower/mailtower.toml ] || fail "remove deleted the conffile"
[ -d /var/lib/mailtower ] && getent passwd mailtower >/dev/null || fail "remove deleted data or user"
echo "after remove: $(ls /etc/mailtower) kept, /var/lib/mailtower kept, user kept"

step "purge: everything goes"
show apt-get purge -y -q mailtower 2>&1 | grep -v 'Reading database' | tail -n 2
left=$(ls -d /etc/mailtower /var/lib/mailtower /var/spool/postfix/mailtower /run/mailtower \
	/usr/share/doc/mailtower /lib/systemd/system/mailtower.service /usr/bin/mailtower 2>/dev/null || true)
[ -z "$left" ] || fail "left after purge: $left"
! getent passwd mailtower >/dev/null || fail "user mailtower left after purge"
! getent group mailtower >/dev/null || fail "group mailtower left after purge"
dpkg-query -W -f='${Status}\n' mailtower 2>/dev/null | grep -q "not-installed" || \
	! dpkg-query -W mailtower >/dev/null 2>&1 || fail "dpkg still knows mailtower"
echo "purged: no files, no user, no group"
ok=true
step "package test passed"
