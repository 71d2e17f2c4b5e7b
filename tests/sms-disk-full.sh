#!/bin/sh
# sms-disk-full: the gateway's disk fills up, again and again, while
# people are texting it.  The gateway runs with tests/diskfull.so (writes
# under its state directory fail with ENOSPC while a flag file exists);
# twelve people each hold a whole conversation over /sms/inbound at once,
# ending in a report, while the disk is full for a few hundred
# milliseconds at a time.  A message the gateway cannot store is answered
# 503 and sent again, as a provider does.  Then: the windows did refuse
# messages, every conversation still ended with a reference, each report
# is in the queue exactly once and under that reference, an answered
# message sent again gets the same reply marked duplicate, the gateway
# never died, and what people typed is not in its log.
# (The SMS door answers 503 to any store failure, so this first part
# would pass with a full disk taken for an I/O error; the relay below
# tells the two apart.)
# Then only the queue's file (gateway.db) fills, held full while four
# more people confirm their reports: their steps are stored in the SMS
# store with the report pending, the confirmations are answered 503 and
# sent again once there is room, and each report is queued once, under
# the reference of the reply; meanwhile a first message is still
# answered (the SMS store has room), and a kiosk's relayed envelope is
# refused 503 and taken once there is room.
. "${top_srcdir:-.}/tests/lib.sh"
gateway=$top_builddir/gateway/saferoute-gateway
ctl=$top_builddir/ctl/saferoutectl
shim=$top_builddir/tests/diskfull.so
[ -x "$gateway" ] && [ -x "$ctl" ] || skip_all "the gateway has not been built"
[ -f "$shim" ] || skip_all "tests/diskfull.so has not been built"
need python3

"$ctl" keygen "$T/partner.key" "$T/partner.pub" > /dev/null || bail "keygen failed"
pull_token=full-pull-token-0123456789abcdef
relay_token=full-relay-token-0123456789abcdef
cat > "$T/gateway.conf" <<CONF
[gateway]
state_dir = $T/state
[sms]
sender_burst = 1000
sender_per_hour = 100000
global_burst = 100000
global_per_second = 100000
allow_missing_translations = true
[partner full]
name = Full Disk Partner
kind = support
services = *
languages = en,pa,ur,ar,so,sq
areas = *
delivery = pull
pull_token = $pull_token
public_key_file = $T/partner.pub
[kiosk library]
token = $relay_token
CONF
"$top_builddir/tests/sr-test-envelope" seal "$T/partner.pub" full "$T/relayed.json" 'relayed' \
  > /dev/null || bail "sr-test-envelope failed"

plan 13
port=$(free_port)
base=http://127.0.0.1:$port
start_gateway () { # start_gateway [PREFIX]: only files named PREFIX* fill
  env SAFEROUTE_DISKFULL_DIR="$T/state" SAFEROUTE_DISKFULL_FLAG="$T/full" \
    ${1:+SAFEROUTE_DISKFULL_PREFIX=$1} LD_PRELOAD="$shim" \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    "$gateway" --config "$T/gateway.conf" --listen "127.0.0.1:$port" >> "$T/gateway.log" 2>&1 &
  gw=$!
  track $gw
  wait_for_http "$base/healthz" || bail "the gateway did not start: $(cat "$T/gateway.log")"
}
start_gateway
# send(URL, BODY, HEADERS): (status, body bytes), for both drivers below.
cat > "$T/send.py" <<'PY'
import urllib.error, urllib.request
def send(url, body, headers):
    req = urllib.request.Request(url, body, headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""
def text(base, body):
    """POST BODY (a dict) to the JSON door: (status, reply or None)."""
    import json
    status, data = send(base + "/sms/inbound", json.dumps(body).encode(),
                        {"Content-Type": "application/json"})
    return status, json.loads(data) if status == 200 else None
PY

# Each person: hello, English, report, the first category, partner,
# contact "do not contact me", no police, their words, confirm (the flow
# tests/sms-endpoints.sh walks with tools/sms-sim).  Meanwhile a thread
# opens and closes the disk-full window.
PYTHONPATH=$T python3 - "$base" "$T/full" "$T/result.json" <<'PY'
import json, os, random, sys, threading, time
from send import text
base, flag, out = sys.argv[1:4]
people = 12
flow = ["hello", "1", "2", "1", "1", "1", "1", None, "1"]
result = {"refused": 0, "refs": {}, "last": {}, "stuck": []}
lock, done = threading.Lock(), threading.Event()

def person(k):
    reply = None
    for i, words in enumerate(flow):
        body = {"from": "+4477009007%02d" % k, "to": "60000",
                "text": words or "private words %d" % k, "id": "full-%d-%d" % (k, i)}
        for attempt in range(600):
            status, reply = text(base, body)
            if status == 200:
                break
            with lock:
                result["refused"] += status == 503
            if status != 503:
                result["stuck"].append([k, i, status])
                return
            time.sleep(0.05)
        else:
            result["stuck"].append([k, i, "never answered"])
            return
    with lock:
        result["refs"][str(k)] = reply["reply"]
        result["last"][str(k)] = body

def windows():
    rng = random.Random(7)
    while not done.is_set():
        open(flag, "w").close()
        time.sleep(rng.uniform(0.1, 0.4))
        os.unlink(flag)
        time.sleep(rng.uniform(0.15, 0.5))

toggler = threading.Thread(target=windows)
toggler.start()
threads = [threading.Thread(target=person, args=(k,)) for k in range(people)]
for t in threads: t.start()
for t in threads: t.join()
done.set()
toggler.join()
json.dump(result, open(out, "w"))
PY
[ -f "$T/full" ] && rm -f "$T/full"
[ -f "$T/result.json" ] || bail "the texting driver failed"
echo "# $(python3 -c "import json; r = json.load(open('$T/result.json')); print('%d messages refused 503 in the windows; stuck: %s' % (r['refused'], r['stuck']))")"

check "the disk-full windows refused messages (503, sent again)" python3 -c "
import json; assert json.load(open('$T/result.json'))['refused'] > 0"
check "every conversation still ended with a reference code" python3 -c "
import json, re
r = json.load(open('$T/result.json'))
assert not r['stuck'] and len(r['refs']) == 12, r['stuck']
assert all(re.search(r'[A-Z0-9]{4}-[A-Z0-9]{4}', t) for t in r['refs'].values())"
curl -s -H "Authorization: Bearer $pull_token" "$base/api/v1/partner/envelopes?limit=500" > "$T/pulled.json"
check "each report is in the queue exactly once, under the reference it was given" python3 -c "
import json, re
r = json.load(open('$T/result.json'))
given = sorted(re.search(r'[A-Z0-9]{4}-[A-Z0-9]{4}', t).group(0) for t in r['refs'].values())
queued = sorted(e['ref'] for e in json.load(open('$T/pulled.json'))['envelopes'])
assert given == queued, (given, queued)"
PYTHONPATH=$T python3 - "$base" "$T/result.json" "$T/again.json" <<'PY'
import json, sys
from send import text
base, r = sys.argv[1], json.load(open(sys.argv[2]))
json.dump(dict((k, text(base, body)[1]) for k, body in r["last"].items()),
          open(sys.argv[3], "w"))
PY
check "a confirmation sent again gets the same reply, marked duplicate" python3 -c "
import json
r, a = json.load(open('$T/result.json')), json.load(open('$T/again.json'))
assert len(a) == 12
for k, reply in a.items():
    assert reply.get('duplicate') is True and reply['reply'] == r['refs'][k], k"
curl -s -H "Authorization: Bearer $pull_token" "$base/api/v1/partner/envelopes?limit=500" > "$T/pulled2.json"
check "... and queues nothing more" python3 -c "
import json; assert len(json.load(open('$T/pulled2.json'))['envelopes']) == 12"
check "the gateway is still running" kill -0 $gw
check "what people typed is not in the gateway's log" sh -c "! grep -q 'private words' '$T/gateway.log'"

# --- only the queue is full, while four people confirm ---
kill $gw
wait $gw 2>/dev/null
start_gateway gateway.db
PYTHONPATH=$T python3 - "$base" "$T/full" "$T/queue-full.json" "$T/relayed.json" "$relay_token" <<'PY'
import json, os, sys
from send import send, text
base, flag, out, envelope, token = sys.argv[1:6]
def relay():
    return send(base + "/api/v1/envelopes", open(envelope, "rb").read(),
                {"Content-Type": "application/json", "Authorization": "Bearer " + token})[0]
def post(k, i, words):
    return text(base, {"from": "+4477009008%02d" % k, "to": "60000", "text": words,
                       "id": "queue-%d-%d" % (k, i)})
flow = ["hello", "1", "2", "1", "1", "1", "1", "queued words"]
result = {"before": [], "first": None, "after": {}, "relay": []}
for k in range(4):
    for i, words in enumerate(flow):
        assert post(k, i, words)[0] == 200, (k, i)
open(flag, "w").close()
for k in range(4):
    result["before"].append(post(k, len(flow), "1")[0])
result["first"] = post(9, 0, "hello")[0]
result["relay"].append(relay())
os.unlink(flag)
result["relay"].append(relay())
for k in range(4):
    status, reply = post(k, len(flow), "1")
    result["after"][str(k)] = [status, reply and reply["reply"]]
json.dump(result, open(out, "w"))
PY
[ -f "$T/full" ] && rm -f "$T/full"
[ -f "$T/queue-full.json" ] || bail "the queue-full driver failed"
check "queue full: each confirmation is answered 503" python3 -c "
import json; r = json.load(open('$T/queue-full.json')); assert r['before'] == [503] * 4, r['before']"
check "queue full: a first message is still answered" python3 -c "
import json; assert json.load(open('$T/queue-full.json'))['first'] == 200"
check "room again: each confirmation sent again is answered with a reference" python3 -c "
import json, re
r = json.load(open('$T/queue-full.json'))['after']
assert all(s == 200 and re.search(r'[A-Z0-9]{4}-[A-Z0-9]{4}', t) for s, t in r.values()), r"
curl -s -H "Authorization: Bearer $pull_token" "$base/api/v1/partner/envelopes?limit=500" > "$T/pulled3.json"
check "... and each of those reports is queued once, under that reference (the relayed envelope beside them)" python3 -c "
import json, re
r = json.load(open('$T/queue-full.json'))['after']
given = sorted(re.search(r'[A-Z0-9]{4}-[A-Z0-9]{4}', t).group(0) for s, t in r.values())
queued = [e['ref'] for e in json.load(open('$T/pulled3.json'))['envelopes']]
assert len(queued) == 17 and len(set(queued)) == 17, queued
assert set(given) <= set(queued), (given, queued)"
check "queue full: a kiosk's relayed envelope is refused 503, then taken (201)" python3 -c "
import json; r = json.load(open('$T/queue-full.json'))['relay']; assert r == [503, 201], r"
check "... and queued once" python3 -c "
import json
ids = [e['id'] for e in json.load(open('$T/pulled3.json'))['envelopes']]
assert ids.count(json.load(open('$T/relayed.json'))['id']) == 1"
