#!/bin/sh
# bench/kannel.sh: messages per second from a fake SMSC through a real
# Kannel (bearerbox + smsbox) to saferoute-gateway's /sms/kannel and back,
# next to the same Kannel calling nginx for the very same reply (the
# ceiling: Kannel's own throughput).  Goal: at least 0.95, so the gateway
# is never the bottleneck behind Kannel.  Every message comes from a new
# sender (first contact), so each is a conversation step with a durable
# commit.  Loopback only; N messages per run (default 2000).
#   make bench-kannel    or    bench/kannel.sh BUILDDIR SRCDIR
set -u
builddir=${1:-.}
srcdir=${2:-.}
n=${MESSAGES:-2000}
fakesmsc=/usr/lib/kannel/test/fakesmsc
for p in /usr/sbin/bearerbox /usr/sbin/smsbox "$fakesmsc" /usr/sbin/nginx; do
  [ -x "$p" ] || { echo "bench/kannel: $p is not installed"; exit 0; }
done
export SAFEROUTE_LOCALEDIR="$builddir/locale"
T=$(mktemp -d "${TMPDIR:-/tmp}/saferoute-bench-kannel.XXXXXX")
pids=""
stop_all () { for p in $pids; do kill "$p" 2>/dev/null; done; for p in $pids; do wait "$p" 2>/dev/null; done; pids=""; }
trap 'stop_all; rm -rf "$T"' EXIT INT TERM
port () { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up () { timeout 20 sh -c "until curl -s -o /dev/null '$1'; do sleep 0.1; done"; }

gw_port=$(port)
"$builddir/gateway/saferoute-gateway" --demo --state-dir "$T/state" \
  --demo-inbox http://127.0.0.1:9 --listen "127.0.0.1:$gw_port" > "$T/gateway.log" 2>&1 &
pids="$pids $!"
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
pids="$pids $!"
wait_up "http://127.0.0.1:$nginx_port/sms/kannel" || { echo "nginx did not start"; exit 1; }

# run NAME URL: Kannel in front of URL; N messages from new senders;
# prints messages/s from the first sent to the last reply received.
run () {
  _dir=$T/$1
  mkdir -p "$_dir/spool"
  _admin=$(port) _box=$(port) _send=$(port)
  _fakes=""
  for _k in 1 2 3 4 5 6; do _fakes="$_fakes $(port)"; done
  sed -e "s|@ADMIN_PORT@|$_admin|" -e "s|@SMSBOX_PORT@|$_box|" -e "s|@SENDSMS_PORT@|$_send|" \
      $(k=0; for p in $_fakes; do k=$((k + 1)); printf ' -e s|@FAKE_PORT_%s@|%s|' $k $p; done) \
      -e "s|@DIR@|$_dir|" -e "s|@GATEWAY@|$2|" -e "s|^log-level = 0|log-level = 4|" \
      "$srcdir/tests/kannel/kannel.conf.in" > "$_dir/kannel.conf"
  /usr/sbin/bearerbox "$_dir/kannel.conf" > /dev/null 2>&1 &
  _bb=$!
  wait_up "http://127.0.0.1:$_admin/status?password=test" || { echo "bearerbox did not start"; exit 1; }
  /usr/sbin/smsbox "$_dir/kannel.conf" > /dev/null 2>&1 &
  _sb=$!
  wait_up "http://127.0.0.1:$_send/" || { echo "smsbox did not start"; exit 1; }
  _t0=$(date +%s.%N)
  "$fakesmsc" -H 127.0.0.1 -r "$(echo $_fakes | cut -d' ' -f1)" -i 0 -m "$n" -z 1 \
    "44770<rand> 60000 text hello" > "$_dir/fakesmsc.log" 2>&1 &
  _fs=$!
  # A reply is one (concatenated) SMS: count single ones and first parts.
  replies () { python3 - "$_dir/fakesmsc.log" <<'PY'
import re, sys, urllib.parse
n = 0
for line in open(sys.argv[1], "rb").read().decode("utf-8", "replace").splitlines():
    m = re.search(r"Got message \d+: <\S+ \S+ (\S+) ?(\S*)", line)
    if not m:
        continue
    if m.group(1) != "udh":
        n += 1
    else:
        udh = urllib.parse.unquote_to_bytes(m.group(2).replace("+", "%20"))
        n += len(udh) >= 6 and udh[5] == 1
print(n)
PY
}
  _end=$(( $(date +%s) + 300 ))
  while [ "$(replies)" -lt "$n" ] && [ "$(date +%s)" -lt "$_end" ]; do sleep 0.2; done
  _t1=$(date +%s.%N)
  _got=$(replies)
  kill -KILL $_fs $_sb $_bb 2>/dev/null
  wait $_fs $_sb $_bb 2>/dev/null
  _rate=$(python3 -c "print('%.0f' % ($_got / ($_t1 - $_t0)))")
  printf '%-28s %6s messages/s  (%s of %s answered)\n' "$1" "$_rate" "$_got" "$n"
  eval "rate_$1=$_rate"
}

echo "bench/kannel: $n messages, each from a new sender, fakesmsc -> Kannel -> HTTP -> Kannel -> fakesmsc"
curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$nginx_port/sms/kannel" | grep -q 200 \
  || { echo "nginx does not serve the reply"; exit 1; }
run kannel_to_nginx "http://127.0.0.1:$nginx_port"
run kannel_to_gateway "http://127.0.0.1:$gw_port"
python3 -c "
n, g = float('$rate_kannel_to_nginx'), float('$rate_kannel_to_gateway')
print('gateway / nginx: %.2f (goal 0.95)' % (g / n if n else 0))"
