#!/bin/sh
# The systemd units are valid (systemd-analyze verify) and keep the sandbox
# that doc/SECURITY.md promises.
. "$top_srcdir/tests/lib.sh"
need systemd-analyze
plan 4
for unit in saferoute-gateway saferoute-inbox; do
  f="$top_builddir/doc/systemd/$unit.service"
  # verify wants the ExecStart binary to exist; the syntax and directives
  # are what is checked here, so run /bin/true with the same arguments.
  sed -e "s|^ExecStart=[^ ]*|ExecStart=/bin/true|" "$f" > "$T/$unit.service"
  if systemd-analyze verify --man=no "$T/$unit.service" > "$T/verify.out" 2>&1 \
     && ! grep -q . "$T/verify.out"; then
    ok "$unit.service: systemd-analyze verify"
  else
    cat "$T/verify.out" | sed 's/^/# /'
    not_ok "$unit.service: systemd-analyze verify"
  fi
  missing=
  for d in 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'PrivateTmp=yes' \
           'MemoryDenyWriteExecute=yes' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
           'UMask=0077' 'User=saferoute' 'LimitCORE=0' 'CapabilityBoundingSet='; do
    grep -qxF "$d" "$f" || missing="$missing $d"
  done
  if [ -z "$missing" ]; then ok "$unit.service: sandbox directives present"
  else not_ok "$unit.service: missing$missing"; fi
done
