#!/usr/bin/env bash
# enable-portal.sh — turn on the web portal in a fresh mailtower.toml, over
# HTTPS on port 8443 of every address, with Debian's self-signed snakeoil
# certificate (package ssl-cert) until the admin names one of its own
# (docs/portal.md, "Turning it on"). Called by install.sh on a config it
# has just installed; it only fills in [web] keys that are still the
# shipped, commented-out defaults, so a second run changes nothing and an
# admin's own [web] settings are never overwritten.
#
# Usage: scripts/enable-portal.sh CONFIG [HOST]   (HOST: the name users
#        open, for base_url; default: hostname -f)
set -euo pipefail

config=${1:?usage: enable-portal.sh CONFIG [HOST]}
host=${2:-$(hostname -f 2>/dev/null || hostname)}
port=${PORTAL_PORT:-8443}
cert=${PORTAL_CERT:-/etc/ssl/certs/ssl-cert-snakeoil.pem}
key=${PORTAL_KEY:-/etc/ssl/private/ssl-cert-snakeoil.key}

grep -q '^\[web\]$' "$config" || { echo "enable-portal.sh: no [web] section in $config" >&2; exit 1; }
# Only inside [web], only the commented-out shipped lines.
sed -i -e '/^\[web\]$/,/^\[/{
s|^#listen = ""$|listen = ":'"$port"'"|
s|^#base_url = ""$|base_url = "https://'"$host"':'"$port"'"|
s|^#tls_cert = ""$|tls_cert = "'"$cert"'"|
s|^#tls_key = ""$|tls_key = "'"$key"'"|
}' "$config"
