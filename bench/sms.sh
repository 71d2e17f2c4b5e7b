#!/bin/sh
# bench/sms.sh: Twilio-form webhooks per second through the gateway's whole
# path (signature check, conversation step, durable SQLite commit before
# the reply) under wrk on loopback, next to the ceiling measured in the
# same run: a bare libsoup server set up like the gateway (bare-soup).
# Also the p99 latency wrk sees at saturation (wrk cannot hold a fixed
# rate: p99 at 1,000 requests/s needs wrk2, which Debian does not ship).  Loopback only; bounded in
# time (DURATION seconds per run, default 10).
#   make bench-sms    or    bench/sms.sh BUILDDIR SRCDIR
set -u
builddir=${1:-.}
srcdir=${2:-.}
duration=${DURATION:-10}
connections=${CONNECTIONS:-50}
threads=2
command -v wrk >/dev/null || { echo "bench/sms: wrk is not installed (apt-get install wrk)"; exit 0; }
export SAFEROUTE_LOCALEDIR="$builddir/locale"
T=$(mktemp -d "${TMPDIR:-/tmp}/saferoute-bench-sms.XXXXXX")
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; rm -rf "$T"' EXIT INT TERM
port () { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up () { timeout 20 sh -c "until curl -s -o /dev/null '$1'; do sleep 0.1; done"; }

"$builddir/ctl/saferoutectl" keygen "$T/partner.key" "$T/partner.pub" > /dev/null || exit 1
cat > "$T/gateway.conf" <<CONF
[gateway]
state_dir = $T/state
[sms]
public_url = https://bench.example.org
twilio_auth_token = bench-token
sender_burst = 1000
sender_per_hour = 100000
global_burst = 1000000
global_per_second = 1000000
allow_missing_translations = true
[partner bench]
name = Bench Partner
kind = support
services = *
languages = en,pa,ur,ar,so,sq
areas = *
delivery = pull
pull_token = bench-pull-token-0123456789abcdef
public_key_file = $T/partner.pub
CONF

# Enough signed requests that none repeats within the run (a repeat would
# take the cheaper de-duplication path): rate ceiling 20k/s.
n=$((duration * 20000))
python3 - "$n" > "$T/requests" <<'PY'
import base64, hashlib, hmac, sys, urllib.parse
for k in range(int(sys.argv[1])):
    params = {"MessageSid": "SM%032d" % k, "AccountSid": "ACbench",
              "From": "+4477%08d" % k, "To": "+447700900000", "Body": "hello"}
    s = "https://bench.example.org/sms/twilio" + "".join(k + v for k, v in sorted(params.items()))
    sig = base64.b64encode(hmac.new(b"bench-token", s.encode(), hashlib.sha1).digest()).decode()
    print(sig, urllib.parse.urlencode(params))
PY

run () { # run NAME URL: wrk against URL; prints requests/s and p99 (ms)
  wrk -t$threads -c$connections -d${duration}s --latency -s "$srcdir/bench/sms.lua" \
    "$2" -- "$T/requests" $threads > "$T/$1.wrk" 2>&1
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$T/$1.wrk")
  p99=$(awk '$1 == "99%" {print $2}' "$T/$1.wrk")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$T/$1.wrk")
  printf '%-34s %10s req/s   p99 %8s   non-2xx %s\n' "$1" "$rps" "$p99" "${non2xx:-0}"
  eval "rps_$1=\${rps:-0}"
}

bare_port=$(port)
"$builddir/bench/bare-soup" "127.0.0.1:$bare_port" & pids="$pids $!"
wait_up "http://127.0.0.1:$bare_port/" || { echo "bare-soup did not start"; exit 1; }
gw_port=$(port)
"$builddir/gateway/saferoute-gateway" --config "$T/gateway.conf" --listen "127.0.0.1:$gw_port" \
  > "$T/gateway.log" 2>&1 & pids="$pids $!"
wait_up "http://127.0.0.1:$gw_port/healthz" || { echo "gateway did not start"; cat "$T/gateway.log"; exit 1; }

echo "bench/sms: $connections connections, $threads wrk threads, ${duration}s each, loopback"
run bare_soup_ceiling "http://127.0.0.1:$bare_port"
# PERF=FILE: also record a profile of the gateway during its run.
if [ -n "${PERF:-}" ]; then
  gwpid=$(echo $pids | awk '{print $2}')
  perf record ${PERF_CALLGRAPH:--g} -o "$PERF" -p "$gwpid" -- sleep $((duration - 2)) > /dev/null 2>&1 &
fi
run gateway_sms_twilio "http://127.0.0.1:$gw_port"
python3 -c "
b, g = float('$rps_bare_soup_ceiling' or 0), float('$rps_gateway_sms_twilio' or 0)
print('gateway / ceiling: %.2f (goal 0.5; replies follow a durable group commit)' % (g / b if b else 0))"
