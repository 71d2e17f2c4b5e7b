#!/bin/sh
# bench/sms.sh: Twilio-form webhooks per second through the gateway's whole
# path (signature check, conversation step, durable SQLite commit before
# the reply) under wrk on loopback, next to the ceiling measured in the
# same run: a bare libsoup server set up like the gateway (bare-soup).
# Also the p99 latency wrk sees at saturation, and the latency at a
# fixed rate (RATE requests/s, default 1,000, for DURATION seconds) from
# bench/sms-rate, an open-loop generator that measures each request from
# the time it was due (wrk cannot hold a rate; Debian has no wrk2), for
# the gateway and for the ceiling.  Loopback only; bounded in time
# (DURATION seconds per run, default 10).
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
. "$srcdir/bench/sms-conf.sh"
sms_bench_conf "$T/gateway.conf" "$T" "public_url = https://bench.example.org" "twilio_auth_token = bench-token"

# Enough signed requests that none repeats within the run (a repeat would
# take the cheaper de-duplication path): rate ceiling 20k/s.
slices=${SLICES:-3}
slice=$(( duration / slices > 0 ? duration / slices : 1 ))
rate=${RATE:-1000}
requests () { # requests COUNT PREFIX OFFSET: COUNT signed requests
python3 - "$1" "$2" "$3" <<'PY'
import base64, hashlib, hmac, sys, urllib.parse
count, prefix, offset = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for k in range(offset, offset + count):
    params = {"MessageSid": "%s%032d" % (prefix, k), "AccountSid": "ACbench",
              "From": "+44%s%08d" % ({"SM": "77", "SR": "78"}[prefix], k),
              "To": "+447700900000", "Body": "hello"}
    s = "https://bench.example.org/sms/twilio" + "".join(k + v for k, v in sorted(params.items()))
    sig = base64.b64encode(hmac.new(b"bench-token", s.encode(), hashlib.sha1).digest()).decode()
    print(sig, urllib.parse.urlencode(params))
PY
}
# Enough signed requests per slice that none repeats (a repeat would take
# the cheaper de-duplication path): rate ceiling 20k/s.
per_slice=$((slice * 20000))
for i in $(seq 1 "$slices"); do
  requests "$per_slice" SM $(( (i - 1) * per_slice )) > "$T/requests.$i"
done
# The fixed-rate runs get ids and senders of their own: all first contacts.
requests $((duration * rate)) SR 0 > "$T/requests-rate"

# run NAME URL SLICE: wrk against URL for one slice; prints requests/s and
# p99 (ms), and adds to NAME's totals.
cpu () { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }  # ticks
run () {
  _c0=$(cpu "$4")
  wrk -t$threads -c$connections -d${slice}s --latency -s "$srcdir/bench/sms.lua" \
    "$2" -- "$T/requests.$3" $threads > "$T/$1.$3.wrk" 2>&1
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$T/$1.$3.wrk")
  p99=$(awk '$1 == "99%" {print $2}' "$T/$1.$3.wrk")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$T/$1.$3.wrk")
  printf '%-34s %10s req/s   p99 %8s   non-2xx %s\n' "$1 ($3/$slices)" "$rps" "$p99" "${non2xx:-0}"
  eval "total_$1=\$(( \${total_$1:-0} + $(awk '/requests in/ {print $1}' "$T/$1.$3.wrk") ))"
  eval "ticks_$1=\$(( \${ticks_$1:-0} + $(cpu "$4") - _c0 ))"
}

bare_port=$(port)
"$builddir/bench/bare-soup" "127.0.0.1:$bare_port" & pids="$pids $!"
wait_up "http://127.0.0.1:$bare_port/" || { echo "bare-soup did not start"; exit 1; }
gw_port=$(port)
"$builddir/gateway/saferoute-gateway" --config "$T/gateway.conf" --listen "127.0.0.1:$gw_port" \
  > "$T/gateway.log" 2>&1 & pids="$pids $!"
wait_up "http://127.0.0.1:$gw_port/healthz" || { echo "gateway did not start"; cat "$T/gateway.log"; exit 1; }

# A loaded machine drifts within a minute: the gateway and its ceiling
# run in alternating slices, and each figure is the sum of its slices.
echo "bench/sms: $connections connections, $threads wrk threads, $slices slices of ${slice}s each, loopback"
# PERF=FILE: also record a profile of the gateway during its slices.
if [ -n "${PERF:-}" ]; then
  gwpid=$(echo $pids | awk '{print $2}')
  perf record ${PERF_CALLGRAPH:--g} -o "$PERF" -p "$gwpid" -- sleep $((2 * slices * slice)) > /dev/null 2>&1 &
fi
bare_pid=$(echo $pids | awk '{print $1}')
gw_pid=$(echo $pids | awk '{print $2}')
steal0=$(cpu_times)
for i in $(seq 1 "$slices"); do
  run bare_soup_ceiling "http://127.0.0.1:$bare_port" "$i" "$bare_pid"
  run gateway_sms_twilio "http://127.0.0.1:$gw_port" "$i" "$gw_pid"
done
steal_since "$steal0" "during the slices: "
# Also per CPU second each server used (all its threads): on a machine
# shared with other work the wall-clock ratio swings with the load, the
# cost of a request much less.
python3 -c "
b, g, t = $total_bare_soup_ceiling, $total_gateway_sms_twilio, $slices * $slice
bc, gc, hz = $ticks_bare_soup_ceiling, $ticks_gateway_sms_twilio, $(getconf CLK_TCK)
print('bare_soup_ceiling %.0f req/s, gateway_sms_twilio %.0f req/s' % (b / t, g / t))
if bc and gc:
    print('per CPU second: bare_soup_ceiling %.0f, gateway_sms_twilio %.0f requests (%.2f)'
          % (b * hz / bc, g * hz / gc, (g / gc) / (b / bc)))
print('gateway / ceiling: %.2f (goal 0.5; replies follow a durable group commit)' % (g / b if b else 0))"

# rate NAME ADDR: sms-rate at $rate requests/s against ADDR.
rate_run () {
  printf '%-34s %s\n' "$1" "$("$builddir/bench/sms-rate" "$2" "$rate" "$duration" "$T/requests-rate")"
}
echo "bench/sms: open loop at $rate requests/s for ${duration}s (latency from each request's due time)"
rate_run rate_bare_soup_ceiling "127.0.0.1:$bare_port"
rate_run rate_gateway_sms_twilio "127.0.0.1:$gw_port"
