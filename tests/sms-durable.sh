#!/bin/sh
# sms-durable: a reply is never given before its conversation step is
# stored.  Forty first messages go to the real gateway's /sms/inbound at
# once (so they share group commits); the gateway is killed with SIGKILL
# the moment half of them have been answered, while the rest are still
# in flight; restarted on the same state directory, every message that
# had been answered is found as already handled (the same reply, marked
# duplicate), and the others are simply handled now.
. "${top_srcdir:-.}/tests/lib.sh"
gateway=$top_builddir/gateway/saferoute-gateway
ctl=$top_builddir/ctl/saferoutectl
[ -x "$gateway" ] && [ -x "$ctl" ] || skip_all "the gateway has not been built"

"$ctl" keygen "$T/partner.key" "$T/partner.pub" > /dev/null || bail "keygen failed"
conf=$T/gateway.conf
cat > "$conf" <<CONF
[gateway]
state_dir = $T/state
[sms]
sender_burst = 100
global_burst = 1000
global_per_second = 1000
allow_missing_translations = true
[partner durable]
name = Durable Partner
kind = support
services = *
languages = en,pa,ur,ar,so,sq
areas = *
delivery = pull
pull_token = durable-pull-token-0123456789abcdef
public_key_file = $T/partner.pub
CONF

start_gateway () {
  port=$(free_port)
  "$gateway" --config "$conf" --listen "127.0.0.1:$port" >> "$T/gateway.log" 2>&1 &
  gw=$!
  track $gw
  wait_for_http "http://127.0.0.1:$port/healthz" || bail "the gateway did not start"
}

plan 3
start_gateway
# Sends every message on its own connection at once; kills PID with
# SIGKILL as soon as HALF answers are in; writes the answers it got.
python3 - "$port" "$gw" "$T/answered.json" <<'PY'
import json, os, signal, sys, threading, urllib.request
port, pid, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
n, half = 40, 20
answers, lock, enough = {}, threading.Lock(), threading.Event()
def send(k):
    body = json.dumps({"from": "+4477009005%02d" % k, "to": "60000",
                       "text": "hello", "id": "durable-%d" % k}).encode()
    req = urllib.request.Request("http://127.0.0.1:%d/sms/inbound" % port, body,
                                 {"Content-Type": "application/json"})
    try:
        reply = json.load(urllib.request.urlopen(req, timeout=20))
    except Exception:
        return
    with lock:
        if not enough.is_set():
            answers[k] = reply
            if len(answers) >= half:
                os.kill(pid, signal.SIGKILL)
                enough.set()
threads = [threading.Thread(target=send, args=(k,)) for k in range(n)]
for t in threads: t.start()
for t in threads: t.join()
json.dump(answers, open(out, "w"))
PY
wait $gw 2>/dev/null
check "the gateway was killed as soon as 20 of 40 answers were in" python3 -c "
import json; a = json.load(open('$T/answered.json')); assert len(a) == 20, len(a)"

start_gateway
python3 - "$port" "$T/answered.json" "$T/again.json" <<'PY'
import json, sys, urllib.request
port, answered = int(sys.argv[1]), json.load(open(sys.argv[2]))
again = {}
for k in range(40):
    body = json.dumps({"from": "+4477009005%02d" % k, "to": "60000",
                       "text": "hello", "id": "durable-%d" % k}).encode()
    req = urllib.request.Request("http://127.0.0.1:%d/sms/inbound" % port, body,
                                 {"Content-Type": "application/json"})
    again[k] = json.load(urllib.request.urlopen(req, timeout=20))
json.dump(again, open(sys.argv[3], "w"))
PY
check "every message answered before the kill was stored: handled, same reply" python3 -c "
import json
a, b = json.load(open('$T/answered.json')), json.load(open('$T/again.json'))
for k, reply in a.items():
    assert b[k].get('duplicate') is True, (k, b[k])
    assert b[k]['reply'] == reply['reply'], k"
check "the messages never answered are answered now" python3 -c "
import json
b = json.load(open('$T/again.json'))
assert len(b) == 40 and all(r.get('reply') for r in b.values())"
