#!/bin/sh
# bench-kiosk-rss: resident memory of saferoute-kiosk after 10,000
# sessions (each one a visit that starts the wizard), sampled after every
# 2,500 to show it stays flat.  Goal: under 20 MB.
set -u
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
kiosk=$top_builddir/kiosk/saferoute-kiosk
# The kiosk refuses to start without its catalogs: use the build tree's.
export SAFEROUTE_LOCALEDIR="${SAFEROUTE_LOCALEDIR:-$(cd "$top_builddir" && pwd)/locale}"
T=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$T"' EXIT
"$kiosk" --demo --state-dir "$T" --listen 127.0.0.1:0 --assets-dir "$top_srcdir/kiosk/assets" \
  >"$T/out" 2>"$T/log" &
pid=$!
timeout 20 sh -c "until grep -qs 'listening on' '$T/out'; do sleep 0.1; done" || { cat "$T/log"; exit 1; }
url=$(sed -n 's/.*listening on \(http[^ ]*\)\/$/\1/p' "$T/out")
rss () { awk '/^VmRSS/ {print $2}' /proc/$pid/status; }
echo "bench-kiosk-rss: start $(rss) kB"
for round in 1 2 3 4; do
  python3 - "$url" 2500 <<'PY'
import sys, http.client, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port)
for i in range(int(sys.argv[2])):
    c.request("GET", "/en/report")
    r = c.getresponse(); r.read()
PY
  echo "after $((round * 2500)) sessions: $(rss) kB"
done
final=$(rss)
if [ "$final" -lt 20480 ]; then verdict=""; else verdict="   OVER GOAL"; fi
echo "resident memory after 10,000 sessions: $((final / 1024)) MB (goal < 20 MB)$verdict"
[ -z "$verdict" ]
