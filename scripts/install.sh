#!/usr/bin/env bash
# install.sh — install and start mailtower on a Debian machine (12 or later)
# with the embedded SQLite store:
#   packages (Postfix, clamd, spamd) and Go  -> scripts/install-deps.sh
#   build and install the binary, config, systemd unit  -> make install
#   system user and data directory /var/lib/mailtower
#   Postfix wired to mailtower (`mailtower postfix-config`)
#   the web portal on https://HOST:8443 with Debian's snakeoil certificate
#   (scripts/enable-portal.sh) until the admin names its own
#   clamd, spamd, mailtower and Postfix started
# Idempotent: run it again after `git pull` to upgrade; an existing
# /etc/mailtower/mailtower.toml and existing Postfix settings of your own
# (other than the ones mailtower owns) are kept.
#
# Usage: sudo ./scripts/install.sh
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
PREFIX=${PREFIX:-/usr/local}
CONFIG=/etc/mailtower/mailtower.toml
BIN=$PREFIX/bin/mailtower

say() { printf '==> %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "install.sh: run as root: sudo ./scripts/install.sh" >&2
	exit 1
fi

say "packages and Go"
bash scripts/install-deps.sh

say "build and install to $PREFIX"
make build
fresh_config=false
[ -e "$CONFIG" ] || fresh_config=true
make install PREFIX="$PREFIX"
if $fresh_config; then
	# The shipped file has every engine commented out (the Debian package
	# only recommends them); this script installs clamd and spamd, so use them.
	sed -i -e '/^#\[scanners\.\(clamd\|spamd\)\]$/,/^#address = /s/^#\(\[scanners\|address = \)/\1/' "$CONFIG"
	# The portal: HTTPS on port 8443 (the unit grants no capability for
	# 443), with the snakeoil certificate until the admin names its own.
	bash scripts/enable-portal.sh "$CONFIG"
fi

say "user and data directory"
if ! id mailtower >/dev/null 2>&1; then
	adduser --system --group --home /var/lib/mailtower --no-create-home mailtower
fi
install -d -o mailtower -g mailtower -m 0750 /var/lib/mailtower
chown root:mailtower "$CONFIG"
chmod 0640 "$CONFIG"
"$BIN" --config "$CONFIG" config check

# webval KEY prints the value of an uncommented KEY in [web], or nothing.
webval() {
	awk -v k="$1" '/^\[/ { inweb = ($0 == "[web]") } inweb && $1 == k && $2 == "=" { v = $3; gsub(/"/, "", v); print v; exit }' "$CONFIG"
}
portal_key=$(webval tls_key)
if [ "$portal_key" = /etc/ssl/private/ssl-cert-snakeoil.key ]; then
	say "portal certificate (snakeoil)"
	if [ ! -e "$portal_key" ]; then
		make-ssl-cert generate-default-snakeoil
	fi
	# The snakeoil key is readable by group ssl-cert only.
	adduser mailtower ssl-cert >/dev/null
fi
if [ -n "$portal_key" ] && ! runuser -u mailtower -- test -r "$portal_key"; then
	echo "install.sh: the mailtower user cannot read web.tls_key $portal_key: the gateway would not start" >&2
	exit 1
fi

say "Postfix"
if [ ! -e /etc/postfix/main.cf ]; then
	# Installed with "No configuration": start from Debian's template.
	cp /usr/share/postfix/main.cf.debian /etc/postfix/main.cf
	postconf -e "myhostname = $(hostname -f 2>/dev/null || hostname)" "inet_protocols = all"
fi
# main.cf: every "name = value" line mailtower prints replaces ours.
"$BIN" --config "$CONFIG" postfix-config --main | grep -v '^#' | grep . |
	while IFS= read -r line; do postconf -e "$line"; done
# master.cf: the re-injection listener and the submission ports (587, 465).
# Previous generated entries (an older install's loopback port, say) are
# replaced by the current ones: the re-injection block runs from its
# "# --- mailtower:" comment over one service and its "-o" lines, the
# submission block up to its "# --- end mailtower: submission" line.
entry=$("$BIN" --config "$CONFIG" postfix-config --master)
submission=$("$BIN" --config "$CONFIG" postfix-config --submission)
awk '
/^# --- mailtower: submission/ { sub_ = 1; next }
sub_ { if (/^# --- end mailtower: submission/) sub_ = 0; next }
/^# --- mailtower: re-injection listener/ { skip = 1; svc = 0; next }
skip && !svc && /^#/ { next }
skip && !svc && /^[^ \t#]/ { svc = 1; next }
skip && svc && /^[ \t]/ { next }
{ skip = 0; print }
' /etc/postfix/master.cf >/etc/postfix/master.cf.mailtower
printf '%s\n' "$entry" >>/etc/postfix/master.cf.mailtower
if [ -n "$submission" ]; then
	printf '%s\n' "$submission" >>/etc/postfix/master.cf.mailtower
fi
mv /etc/postfix/master.cf.mailtower /etc/postfix/master.cf
# The listener's socket (public/ in Postfix's queue) is reachable by group
# postdrop only: mailtower sends releases, copies and notices through it.
adduser mailtower postdrop >/dev/null
postfix check

say "services"
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	# clamd needs signatures: freshclam downloads them (needs the internet).
	systemctl enable --now clamav-freshclam.service || true
	systemctl enable --now clamav-daemon.service spamd.service || true
	systemctl enable mailtower.service
	systemctl restart mailtower.service
	systemctl enable postfix.service
	systemctl restart postfix.service
	systemctl --no-pager --lines=0 status mailtower.service postfix.service || true
else
	# No systemd (a container): start the daemons directly.
	service clamav-daemon start || true
	service spamd start || true
	if ! pgrep -u mailtower -x mailtower >/dev/null; then
		start-stop-daemon --start --background --chuid mailtower:mailtower \
			--output /var/log/mailtower.log --exec "$BIN" -- serve --config "$CONFIG"
	fi
	if postfix status >/dev/null 2>&1; then postfix reload; else postfix start; fi
fi

if [ "$(postconf -h smtpd_tls_cert_file)" = /etc/ssl/certs/ssl-cert-snakeoil.pem ]; then
	echo "note: Postfix offers STARTTLS with Debian's self-signed snakeoil certificate. Servers" >&2
	echo "      sending to port 25 still encrypt; mail clients on 587/465 warn. Set [tls] cert and" >&2
	echo "      key in $CONFIG and run this script again (docs/submission.md)." >&2
fi
# Debian's clamav-daemon starts only with official signatures (.cvd/.cld).
if ! compgen -G '/var/lib/clamav/*.c[lv]d' >/dev/null; then
	echo "note: clamd has no signatures yet (freshclam downloads them). Until clamd runs," >&2
	echo "      mailtower answers 451 (try again later): mail waits at the sender, never passes unscanned." >&2
fi
cat <<EOF

mailtower is installed and running.
  config:   $CONFIG        (check: mailtower config check)
  add a customer domain:  mailtower domain add example.com --relay mail.example.com
  let a user send (587/465): mailtower user passwd user@example.com   (docs/submission.md)
  quarantine:             mailtower quarantine list
  logs:                   journalctl -u mailtower (or /var/log/mailtower.log)
EOF
if [ -n "$(webval listen)" ]; then
	cat <<EOF
  web portal:             $(webval base_url)/
    first admin:          mailtower admin add admin && mailtower user passwd admin
                          (then log in and enrol an authenticator app: admins need two-factor login)
EOF
	if [ "$portal_key" = /etc/ssl/private/ssl-cert-snakeoil.key ]; then
		cat <<EOF
    certificate:          Debian's self-signed snakeoil one (browsers warn); for your own, set
                          [web] tls_cert and tls_key in $CONFIG, then systemctl reload mailtower
                          (docs/portal.md, "Turning it on")
EOF
	fi
fi
