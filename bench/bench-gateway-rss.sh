#!/bin/sh
# bench-gateway-rss: the gateway's resident memory with a long queue.
#
# Fills a fresh store with N sealed reports (default 100,000) through
# bench-fill, for a webhook partner whose loopback port is closed, so
# nothing drains: the forwarder claims, fails to connect and defers, over
# and over, as it would during a partner's outage.  Starts
# saferoute-gateway on that store, waits until /healthz answers, lets the
# forwarder run for a few seconds, then reads VmRSS (and the peak, VmHWM)
# from /proc.  Goal: under 40 MB.
#
#   bench-gateway-rss.sh [TOP_BUILDDIR [TOP_SRCDIR]]     (N=... to change N)
set -u
top_builddir=$(cd "${1:-.}" && pwd)
top_srcdir=$(cd "${2:-$top_builddir}" && pwd)
export top_builddir top_srcdir
. "$top_srcdir/tests/lib.sh"

N=${N:-100000}
RUN_SECONDS=${RUN_SECONDS:-5}
GOAL_KB=$((40 * 1024))
gateway=$top_builddir/gateway/saferoute-gateway
fill=$top_builddir/bench/bench-fill

if [ ! -x "$gateway" ]; then
  echo "bench-gateway-rss: skipped: $gateway is not built"
  exit 0
fi

closed=$(free_port)
port=$(free_port)
key=$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
mkdir -p "$T/state"
cat > "$T/gateway.conf" <<CONF
[gateway]
state_dir = $T/state

[partner bench-down]
name = Bench Support (down)
kind = support
services = *
languages = en
delivery = webhook
url = http://127.0.0.1:$closed/hook
hmac_secret = bench-secret-bench-secret
public_key = $key
CONF

"$fill" --config "$T/gateway.conf" --db "$T/state/gateway.db" --count "$N" || exit 1

"$gateway" --config "$T/gateway.conf" --listen "127.0.0.1:$port" > "$T/gateway.log" 2>&1 &
pid=$!
track "$pid"
if ! wait_for_http "http://127.0.0.1:$port/healthz" 60; then
  echo "bench-gateway-rss: the gateway did not answer /healthz:"
  tail -5 "$T/gateway.log"
  exit 1
fi
# Not a wait for a condition: the forwarder is meant to run this long.
sleep "$RUN_SECONDS"

status=/proc/$pid/status
rss=$(awk '/^VmRSS:/ { print $2 }' "$status")
hwm=$(awk '/^VmHWM:/ { print $2 }' "$status")
deferred=$(grep -c ': deferred ' "$T/gateway.log")
kill "$pid"
wait "$pid" 2>/dev/null

awk -v n="$N" -v s="$RUN_SECONDS" -v d="$deferred" -v rss="$rss" -v hwm="$hwm" -v goal="$GOAL_KB" 'BEGIN {
  printf "gateway resident memory, %d queued deliveries, forwarder running %d s (%d deferred meanwhile): %.1f MB (peak %.1f MB)   goal < %d MB%s\n",
    n, s, d, rss / 1024, hwm / 1024, goal / 1024, rss < goal ? "" : "  ABOVE GOAL"
}'
