#!/bin/sh
# bench/kannel.sh: messages per second from a fake SMSC through a real
# Kannel (bearerbox + smsbox) to saferoute-gateway's /sms/kannel and back,
# next to the same Kannel calling nginx for the very same reply (the
# ceiling: Kannel's own throughput).  Goal: at least 0.95, so the gateway
# is never the bottleneck behind Kannel.  Every message comes from a new
# sender (first contact), so each is a conversation step with a durable
# commit.  Loopback only; N messages per run (default 5000).
# Kannel's own store (its spool) goes in a tmpfs when there is one
# (/dev/shm): on the spool's disk, shared with the gateway's commits,
# Kannel alone swung between 570 and 1,840 messages/s from one run to
# the next, so the ceiling measured the disk, not Kannel.  The gateway
# keeps its queue on disk, synced as always.
#
# The goal asks whether the gateway is ever the bottleneck behind
# Kannel.  On a small machine where Kannel (bearerbox, smsbox, the fake
# SMSC: about 1 ms of CPU a message) and the HTTP server share every
# CPU, each CPU second the server spends is taken from Kannel, so the
# ratio then measures how much CPU the server costs, not whether it
# keeps up.  So, given two CPUs or more, the first set of runs gives the
# HTTP server (nginx or the gateway, all its threads) the last CPU and
# Kannel the others, the same split for both: that ratio is the one the
# goal is judged on.  A second set of runs, everything on every CPU,
# prints the shared figure too.  PIN=0 skips the first set.  (Pinned,
# the gateway can come out ahead of nginx: in several runs Kannel spent
# more CPU a message against nginx, and each run prints Kannel's CPU per
# message.  A likely reason: nginx's instant replies wake smsbox for
# each message, the gateway's group-committed ones come in bursts.)
#   make bench-kannel    or    bench/kannel.sh BUILDDIR SRCDIR
set -u
builddir=${1:-.}
srcdir=${2:-.}
n=${MESSAGES:-5000}
fakesmsc=/usr/lib/kannel/test/fakesmsc
for p in /usr/sbin/bearerbox /usr/sbin/smsbox "$fakesmsc" /usr/sbin/nginx; do
  [ -x "$p" ] || { echo "bench/kannel: $p is not installed"; exit 0; }
done
export SAFEROUTE_LOCALEDIR="$builddir/locale"
T=$(mktemp -d "${TMPDIR:-/tmp}/saferoute-bench-kannel.XXXXXX")
pids=""
stop_all () { for p in $pids; do kill "$p" 2>/dev/null; done; for p in $pids; do wait "$p" 2>/dev/null; done; pids=""; }
spools=""
trap 'stop_all; rm -rf "$T" $spools' EXIT INT TERM
# The CPUs this script may use (a cpuset may allow only some, and not
# from 0), comma-separated; how many; the last; all but the last.
cpu_list=$(python3 -c 'import os; print(",".join(map(str, sorted(os.sched_getaffinity(0)))))')
ncpu=$(echo "$cpu_list" | tr ',' '\n' | wc -l)
all_cpus=$cpu_list
last_cpu=${cpu_list##*,}
other_cpus=${cpu_list%,*}
# pin CPUS PID...: every thread of each PID on CPUS ("" = all ours);
# fails if one cannot be pinned.
pin () {
  _cpus=${1:-$all_cpus}
  shift
  for _p in "$@"; do taskset -a -p -c "$_cpus" "$_p" > /dev/null 2>&1 || return 1; done
}
port () { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up () { timeout 20 sh -c "until curl -s -o /dev/null '$1'; do sleep 0.1; done"; }

# Rate limits out of the way (the demo's, 100 messages/s for everybody,
# turned most of the run into one-line "too many messages" replies, a
# cheaper path than nginx's reply), as in bench/sms.sh.
"$builddir/ctl/saferoutectl" keygen "$T/partner.key" "$T/partner.pub" > /dev/null || exit 1
. "$srcdir/bench/sms-conf.sh"
sms_bench_conf "$T/gateway.conf" "$T"
gw_port=$(port)
"$builddir/gateway/saferoute-gateway" --config "$T/gateway.conf" --listen "127.0.0.1:$gw_port" \
  > "$T/gateway.log" 2>&1 &
gw_pid=$!
pids="$pids $gw_pid"
wait_up "http://127.0.0.1:$gw_port/healthz" || { echo "gateway did not start"; exit 1; }
# nginx answers with exactly what the gateway answers a first message.
curl -s -o "$T/reply.txt" "http://127.0.0.1:$gw_port/sms/kannel?from=1&text=hello"
nginx_port=$(port)
mkdir -p "$T/nginx/logs"
# nginx's workers run as nobody: let them read the reply (demo text only).
chmod 755 "$T"
chmod 644 "$T/reply.txt"
cat > "$T/nginx/nginx.conf" <<CONF
worker_processes 1;
error_log $T/nginx/logs/error.log;
pid $T/nginx/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$nginx_port;
    location /sms/kannel {
      default_type "text/plain; charset=UTF-8";
      add_header X-Kannel-Coding 2;
      alias $T/reply.txt;
    }
  }
}
CONF
/usr/sbin/nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" -g 'daemon off;' > /dev/null 2>&1 &
nginx_pid=$!
pids="$pids $nginx_pid"
wait_up "http://127.0.0.1:$nginx_port/sms/kannel" || { echo "nginx did not start"; exit 1; }

# run NAME URL: Kannel in front of URL; N messages from new senders;
# prints messages/s from the first sent to the last reply received.
run () {
  _dir=$T/$1.$3
  mkdir -p "$_dir/spool"
  _admin=$(port) _box=$(port) _send=$(port)
  _fakes=""
  for _k in 1 2 3 4 5 6; do _fakes="$_fakes $(port)"; done
  sed -e "s|@ADMIN_PORT@|$_admin|" -e "s|@SMSBOX_PORT@|$_box|" -e "s|@SENDSMS_PORT@|$_send|" \
      $(k=0; for p in $_fakes; do k=$((k + 1)); printf ' -e s|@FAKE_PORT_%s@|%s|' $k $p; done) \
      -e "s|@DIR@|$_dir|" -e "s|@GATEWAY@|$2|" -e "s|^log-level = 0|log-level = 4|" \
      "$srcdir/tests/kannel/kannel.conf.in" > "$_dir/kannel.conf"
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    _spool=$(mktemp -d /dev/shm/saferoute-bench-kannel.XXXXXX)
    spools="$spools $_spool"
    sed -i -e "s|^store-location = .*|store-location = \"$_spool\"|" "$_dir/kannel.conf"
  fi
  $kannel_taskset /usr/sbin/bearerbox "$_dir/kannel.conf" > /dev/null 2>&1 &
  _bb=$!
  wait_up "http://127.0.0.1:$_admin/status?password=test" || { echo "bearerbox did not start"; exit 1; }
  $kannel_taskset /usr/sbin/smsbox "$_dir/kannel.conf" > /dev/null 2>&1 &
  _sb=$!
  wait_up "http://127.0.0.1:$_send/" || { echo "smsbox did not start"; exit 1; }
  _t0=$(date +%s.%N)
  $kannel_taskset "$fakesmsc" -H 127.0.0.1 -r "$(echo $_fakes | cut -d' ' -f1)" -i 0 -m "$n" -z 1 \
    "44770<rand> 60000 text hello" > "$_dir/fakesmsc.log" 2>&1 &
  _fs=$!
  # A reply is one (concatenated) SMS: count single ones and first parts.
  # One watcher reads the log as it grows (re-reading it all every few
  # milliseconds took CPU from Kannel on this two-core machine) and
  # prints how many replies came, once all N have or after 300 s.
  _got=$($kannel_taskset python3 - "$_dir/fakesmsc.log" "$n" <<'PY'
import os, re, sys, time, urllib.parse
path, want = sys.argv[1], int(sys.argv[2])
n, rest, pos, end = 0, b"", 0, time.time() + 300
while n < want and time.time() < end:
    try:
        with open(path, "rb") as f:
            f.seek(pos)
            data = f.read()
    except FileNotFoundError:
        data = b""
    if not data:
        time.sleep(0.01)
        continue
    pos += len(data)
    lines = (rest + data).split(b"\n")
    rest = lines.pop()
    for line in lines:
        m = re.search(r"Got message \d+: <\S+ \S+ (\S+) ?(\S*)", line.decode("utf-8", "replace"))
        if not m:
            continue
        if m.group(1) != "udh":
            n += 1
        else:
            udh = urllib.parse.unquote_to_bytes(m.group(2).replace("+", "%20"))
            n += len(udh) >= 6 and udh[5] == 1
print(n)
PY
)
  _t1=$(date +%s.%N)
  # Kannel's CPU time (all three processes, in clock ticks) per message.
  _ticks=$(cat "/proc/$_bb/stat" "/proc/$_sb/stat" "/proc/$_fs/stat" 2>/dev/null \
           | awk '{t += $14 + $15} END {print t + 0}')
  kill -KILL $_fs $_sb $_bb 2>/dev/null
  wait $_fs $_sb $_bb 2>/dev/null
  _rate=$(python3 -c "print('%.0f' % ($_got / ($_t1 - $_t0)))")
  _kcpu=$(python3 -c "print('%.2f' % ($_ticks * 1000.0 / $(getconf CLK_TCK) / max($_got, 1)))")
  printf '%-28s %6s messages/s  (%s of %s answered; Kannel CPU %s ms a message)\n' \
    "$1 ($3)" "$_rate" "$_got" "$n" "$_kcpu"
  eval "got_$1=\$(( \${got_$1:-0} + _got ))"
  eval "secs_$1=\$(python3 -c \"print(\${secs_$1:-0} + $_t1 - $_t0)\")"
}

echo "bench/kannel: $n messages a run, each from a new sender, fakesmsc -> Kannel -> HTTP -> Kannel -> fakesmsc"
curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$nginx_port/sms/kannel" | grep -q 200 \
  || { echo "nginx does not serve the reply"; exit 1; }
# set NAME SERVER_CPUS KANNEL_CPUS: the servers on SERVER_CPUS, Kannel
# on KANNEL_CPUS ("" = every CPU), four runs in the order nginx,
# gateway, gateway, nginx, so that a machine whose load drifts during
# the bench favours neither side.
set_of_runs () {
  kannel_taskset=${3:+taskset -c $3}
  # nginx's worker was forked before any pinning: found through /proc.
  if command -v taskset > /dev/null \
     && ! pin "$2" "$gw_pid" "$nginx_pid" $(cat /proc/"$nginx_pid"/task/*/children 2>/dev/null); then
    echo "bench/kannel: $1: could not pin the servers to CPUs ${2:-$all_cpus}: set skipped"
    return
  fi
  echo "bench/kannel: $1: HTTP server on CPUs ${2:-$all_cpus}, Kannel on CPUs ${3:-$all_cpus}"
  _steal=$(cpu_times)
  run "${1}_nginx" "http://127.0.0.1:$nginx_port" 1
  run "${1}_gateway" "http://127.0.0.1:$gw_port" 1
  run "${1}_gateway" "http://127.0.0.1:$gw_port" 2
  run "${1}_nginx" "http://127.0.0.1:$nginx_port" 2
  eval "_n=\$got_${1}_nginx _ns=\$secs_${1}_nginx _g=\$got_${1}_gateway _gs=\$secs_${1}_gateway"
  python3 -c "
n, g = $_n / $_ns, $_g / $_gs
print('$1: kannel_to_nginx %.0f messages/s, kannel_to_gateway %.0f messages/s' % (n, g))
print('$1: gateway / nginx: %.2f%s' % (g / n if n else 0, '$4'))"
  steal_since "$_steal" "$1: "
}
if [ "${PIN:-1}" != 0 ] && [ "$ncpu" -ge 2 ] && command -v taskset > /dev/null; then
  set_of_runs pinned "$last_cpu" "$other_cpus" " (goal 0.95)"
  set_of_runs shared "" "" " (on shared CPUs: CPU the server takes from Kannel)"
else
  set_of_runs shared "" "" " (goal 0.95; on shared CPUs: see bench/kannel.sh)"
fi
