#!/bin/sh
# The systemd units are valid (systemd-analyze verify) and keep the sandbox
# that doc/SECURITY.md promises: the gateway's, the inbox's and the
# kiosk server's the full one; the kiosk's browser session (a user unit
# running Chromium) only what Chromium allows (see doc/SECURITY.md,
# "Deployment hardening").
. "$top_srcdir/tests/lib.sh"
need systemd-analyze
plan 9

# verify UNIT FILE [--user]: systemd-analyze verify, silent.  verify wants
# the ExecStart binary to exist; the syntax and directives are what is
# checked here, so run /bin/true with the same arguments.
verify () {
  sed -e "s|^ExecStart=[^ ]*|ExecStart=/bin/true|" "$2" > "$T/$1.service"
  # A user manager needs a runtime directory, even to verify.
  mkdir -p "$T/run" && chmod 0700 "$T/run"
  if XDG_RUNTIME_DIR=$T/run systemd-analyze ${3:-} verify --man=no "$T/$1.service" \
       > "$T/verify.out" 2>&1 \
     && ! grep -q . "$T/verify.out"; then
    ok "$1.service: systemd-analyze verify"
  else
    sed 's/^/# /' "$T/verify.out"
    not_ok "$1.service: systemd-analyze verify"
  fi
}
# has UNIT FILE DIRECTIVE...: each DIRECTIVE is a whole line of FILE.
has () {
  _unit=$1; _f=$2; shift 2
  missing=
  for d in "$@"; do
    grep -qxF "$d" "$_f" || missing="$missing $d"
  done
  if [ -z "$missing" ]; then ok "$_unit.service: sandbox directives present"
  else not_ok "$_unit.service: missing$missing"; fi
}

for unit in saferoute-gateway saferoute-inbox saferoute-kiosk; do
  f="$top_builddir/doc/systemd/$unit.service"
  [ $unit = saferoute-kiosk ] && f="$top_srcdir/kiosk/$unit.service"
  verify $unit "$f"
  has $unit "$f" 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'PrivateTmp=yes' \
    'MemoryDenyWriteExecute=yes' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
    'UMask=0077' 'User=saferoute' 'LimitCORE=0' 'CapabilityBoundingSet='
done

# The browser session: a user unit of the account that owns the screen.
# Chromium's JIT needs writable-executable memory and its own sandbox
# needs user namespaces, so MemoryDenyWriteExecute and RestrictNamespaces
# would stop it; what it keeps is no core dumps (the browser's memory
# holds what is on screen) and a loopback URL.
session="$top_srcdir/kiosk/saferoute-kiosk-session.service"
verify saferoute-kiosk-session "$session" --user
has saferoute-kiosk-session "$session" 'LimitCORE=0' 'Restart=on-failure'
check "saferoute-kiosk-session.service: opens the kiosk on loopback only" \
  grep -qE '^ExecStart=[^ ]*/saferoute-kiosk-session http://127\.0\.0\.1:[0-9]+/$' "$session"
