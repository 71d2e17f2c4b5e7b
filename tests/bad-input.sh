#!/bin/sh
# bad-input: the hostile-request table (tests/bad-input/table.tsv) against
# the real kiosk, gateway and partner inbox on loopback.  Each row must get
# its documented status and message (tests/bad-input/driver.py); then:
# a slow body must not stall other clients, 5,000 kiosk sessions must
# leave the session table bounded, every store (the SMS stores too) holds
# exactly what it held plus what was legitimately accepted (a signed
# Twilio text and a relayed envelope are sent after the table for that), markup sent in is shown escaped on
# the inbox page, and all three servers still answer /healthz.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
need curl python3 sqlite3
gateway=$top_builddir/gateway/saferoute-gateway
inbox=$top_builddir/partner/saferoute-inbox
kiosk=$top_builddir/kiosk/saferoute-kiosk
mkenv=$top_builddir/tests/sr-test-envelope
table=$top_srcdir/tests/bad-input/table.tsv
driver=$top_srcdir/tests/bad-input/driver.py
rows=$(grep -vc '^#' "$table")
# Every server answers a request not wholly received in 2 s with 408 (the
# stalled rows of the table; the default is 30 s, src/http.h).
SAFEROUTE_HTTP_READ_TIMEOUT_MS=2000
export SAFEROUTE_HTTP_READ_TIMEOUT_MS
plan $((rows + 26))

dir=$T/state
mkdir -p "$dir"
inbox_port=$(free_port)
gw_port=$(free_port)
inbox_url=http://127.0.0.1:$inbox_port
gw_url=http://127.0.0.1:$gw_port

# The inbox makes the demo partner's keys; the others read them.
"$inbox" --demo --state-dir "$dir" --listen "127.0.0.1:$inbox_port" >"$T/inbox.log" 2>&1 &
inbox_pid=$!
track $inbox_pid
wait_for_http "$inbox_url/" || bail "inbox did not start: $(cat "$T/inbox.log")"
"$gateway" --demo --state-dir "$dir" --demo-inbox "$inbox_url" \
  --listen "127.0.0.1:$gw_port" >"$T/gateway.log" 2>&1 &
gw_pid=$!
track $gw_pid
wait_for_http "$gw_url/healthz" || bail "gateway did not start: $(cat "$T/gateway.log")"

# The kiosk serves a copy of its assets with a symlink out and a dot file.
cp -R "$top_srcdir/kiosk/assets" "$T/assets"
chmod -R u+w "$T/assets"
ln -s /etc/passwd "$T/assets/link-out"
echo secret >"$T/assets/.hidden"
lang_flag=
"$kiosk" --demo --state-dir "$T/probe" --listen 127.0.0.1:0 --idle-timeout 5 \
  --idle-warning 5 >/dev/null 2>"$T/probe.err"
if grep -q catalog "$T/probe.err"; then lang_flag=--allow-missing-translations; fi
"$kiosk" --demo --state-dir "$dir" --demo-inbox "$inbox_url" --listen 127.0.0.1:0 \
  --assets-dir "$T/assets" $lang_flag >"$T/kiosk.out" 2>"$T/kiosk.log" &
kiosk_pid=$!
track $kiosk_pid
wait_until 20 grep -qs 'listening on' "$T/kiosk.out" || bail "kiosk did not start: $(cat "$T/kiosk.log")"
kiosk_url=$(sed -n 's/.*listening on \(http[^ ]*\)\/$/\1/p' "$T/kiosk.out")

# A valid sealed envelope with markup, SQL and CRLF in its message.
"$mkenv" seal "$dir/demo/partner.pub" demo-support "$T/envelope.json" \
  '<script>alert(1)</script>\nBcc: x@evil.example\n\x27; DROP TABLE report; --' \
  >"$T/envelope.id" || bail "sr-test-envelope failed"

# --- a configured gateway: a pull partner with a known token, and an
# e-mail partner behind a real SMTP server (aiosmtpd) ---
smtp_port=$(free_port)
gw2_port=$(free_port)
gw2_url=http://127.0.0.1:$gw2_port
secret () { python3 -c 'import secrets; print(secrets.token_hex(32))'; }
BADINPUT_PULL_TOKEN=$(secret)
BADINPUT_RELAY_TOKEN=$(secret)
BADINPUT_SMS_SECRET=$(secret)
BADINPUT_TWILIO_TOKEN=$(secret)
BADINPUT_TWILIO_URL=$gw2_url/sms/twilio
export BADINPUT_PULL_TOKEN BADINPUT_RELAY_TOKEN BADINPUT_SMS_SECRET BADINPUT_TWILIO_TOKEN BADINPUT_TWILIO_URL
mkdir -p "$T/mail/tmp" "$T/mail/new" "$T/mail/cur" "$T/state2"
"${PYTHON3:-/usr/bin/python3}" -m aiosmtpd -n -l "127.0.0.1:$smtp_port" \
  -c aiosmtpd.handlers.Mailbox "$T/mail" >"$T/smtp.log" 2>&1 &
track $!
smtp_up () { python3 -c "import socket; socket.create_connection(('127.0.0.1', $smtp_port), 1)" 2>/dev/null; }
wait_until 30 smtp_up || bail "aiosmtpd did not start: $(cat "$T/smtp.log")"
cat >"$T/gateway.conf" <<CONF
[gateway]
listen = 127.0.0.1:$gw2_port
state_dir = $T/state2

[sms]
public_url = $gw2_url
twilio_auth_token = $BADINPUT_TWILIO_TOKEN
kannel_secret = $BADINPUT_SMS_SECRET
inbound_secret = $BADINPUT_SMS_SECRET

[kiosk test-kiosk]
token = $BADINPUT_RELAY_TOKEN

[partner test-pull]
name = Test Pull Support
kind = support
services = *
languages = en
delivery = pull
pull_token = $BADINPUT_PULL_TOKEN
public_key_file = $dir/demo/partner.pub

[partner test-mail]
name = Test Mail Support
kind = support
services = *
languages = en
delivery = email
email_to = cases@partner.example
email_from = saferoute@gateway.example
smtp_url = smtp://127.0.0.1:$smtp_port
public_key_file = $dir/demo/partner.pub
CONF
"$gateway" --config "$T/gateway.conf" >"$T/gateway2.log" 2>&1 &
gw2_pid=$!
track $gw2_pid
wait_for_http "$gw2_url/healthz" || bail "gateway (config) did not start: $(cat "$T/gateway2.log")"
ctl=$top_builddir/ctl/saferoutectl
"$mkenv" report test-pull "$T/pull.json" 'pull <b>bold</b>' >/dev/null || bail "report failed"
"$mkenv" report test-mail "$T/mail.json" \
  'mail\nBcc: victim@evil.example\nSubject: injected\n\n<script>alert(1)</script>' >/dev/null || bail "report failed"
python3 - "$T/mail.json" "$T/crlf.json" <<'PY'
import json, sys, uuid
r = json.load(open(sys.argv[1]))
r["id"] = str(uuid.uuid4())
r["message"] = "crlf\r\nBcc: victim@evil.example\r\n"
json.dump(r, open(sys.argv[2], "w"))
PY
"$ctl" --config "$T/gateway.conf" enqueue "$T/pull.json" "$T/mail.json" >"$T/enqueue.out" 2>&1
sqlite3 "$T/state2/gateway.db" 'SELECT count(*) FROM deliveries' >"$T/rows2"
"$ctl" --config "$T/gateway.conf" enqueue "$T/crlf.json" >"$T/crlf.out" 2>&1; s=$?
check "a report with CR in its message is refused by intake (exit $s)" \
  sh -c "[ $s != 0 ] && [ \$(sqlite3 '$T/state2/gateway.db' 'SELECT count(*) FROM deliveries') = \$(cat '$T/rows2') ]"
mailed () { [ -n "$(ls "$T/mail/new" 2>/dev/null)" ]; }
check "the e-mail partner's delivery reaches the SMTP server" wait_until 60 mailed
check "... with no header injected from the report (no Bcc, Cc or second Subject)" python3 - "$T/mail/new" <<'PY'
import email, email.policy, json, os, sys
d = sys.argv[1]
msgs = [email.message_from_binary_file(open(os.path.join(d, f), "rb"), policy=email.policy.default)
        for f in os.listdir(d)]
ok = len(msgs) == 1
for m in msgs:
    names = [k.lower() for k in m.keys()]
    ok &= "bcc" not in names and "cc" not in names and names.count("subject") == 1
    ok &= m["Subject"].startswith("saferoute delivery ") and "cases@partner.example" in str(m["To"])
    ok &= all("evil" not in str(v) and "injected" not in str(v) for v in m.values())
    raw = m.as_bytes()
    ok &= b"victim@evil" not in raw and b"<script>" not in raw
    att = [p for p in m.walk() if p.get_content_type() == "application/json"]
    ok &= len(att) == 1 and "sealed" in json.loads(att[0].get_content())
    if not ok:
        print("# mail headers:", list(m.items()))
sys.exit(0 if ok else 1)
PY

counts () { # counts: rows of every table of every store, one line
  for db in "$dir/gateway.db" "$dir/sms.db" "$dir/kiosk.db" "$dir/inbox.sqlite" \
            "$T/state2/gateway.db" "$T/state2/sms.db"; do
    for t in $(sqlite3 "$db" "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"); do
      printf '%s:%s=%s ' "${db#$T/}" "$t" "$(sqlite3 "$db" "SELECT count(*) FROM \"$t\"")"
    done
  done
  echo
}
counts >"$T/before"

# --- the table ---
PYTHONDONTWRITEBYTECODE=1 python3 "$driver" "$table" "$dir/demo/hmac.secret" "$T/envelope.json" \
  kiosk="$kiosk_url" gateway="$gw_url" inbox="$inbox_url" gwconf="$gw2_url" \
  >"$T/driver.out" 2>"$T/driver.err"
grep -q '^# .* rows' "$T/driver.out" || { cat "$T/driver.err"; bail "driver failed"; }
while IFS= read -r line; do
  case $line in
    "ok - "*) ok "${line#ok - }" ;;
    "not ok - "*) not_ok "${line#not ok - }" ;;
    *) echo "$line" ;;
  esac
done <"$T/driver.out"

# --- after the table, one legitimate message of each kind the configured
# gateway takes: a signed Twilio text and a kiosk's relayed envelope.
# The store accounting below must find exactly these. ---
"$mkenv" seal "$dir/demo/partner.pub" test-pull "$T/relayed.json" 'relayed by a kiosk' \
  >/dev/null || bail "sr-test-envelope failed"
check "a kiosk's envelope relayed with the kiosk's token: 201" test "$(curl -s -o /dev/null \
  -w '%{http_code}' -H "Authorization: Bearer $BADINPUT_RELAY_TOKEN" \
  -H 'Content-Type: application/json' --data-binary @"$T/relayed.json" \
  "$gw2_url/api/v1/envelopes")" = 201
check "a text signed with the Twilio token: 200 and a TwiML reply" python3 - "$gw2_url" <<'PY'
import base64, hashlib, hmac, os, sys, urllib.parse, urllib.request
form = {"From": "+447700900999", "Body": "hello", "MessageSid": "SMlegitimate0001"}
data = os.environ["BADINPUT_TWILIO_URL"] + "".join(k + v for k, v in sorted(form.items()))
mac = hmac.new(os.environ["BADINPUT_TWILIO_TOKEN"].encode(), data.encode(), hashlib.sha1)
req = urllib.request.Request(sys.argv[1] + "/sms/twilio", urllib.parse.urlencode(form).encode(),
                             {"X-Twilio-Signature": base64.b64encode(mac.digest()).decode()})
with urllib.request.urlopen(req, timeout=10) as r:
    sys.exit(0 if r.status == 200 and b"<Message>" in r.read() else 1)
PY

check "the gateway's /metrics counts the stalled requests it timed out (408)" \
  sh -c "curl -s '$gw_url/metrics' | grep -qE '^saferoute_http_requests_total[{]code=\"408\"[}] [1-9]'"

# --- a slow body must not stall anyone else ---
check "slow bodies: 50 trickling clients, /healthz is served meanwhile, each slow client answered" \
  python3 - "$kiosk_url" "$gw_url" "$inbox_url" <<'PY'
import socket, sys, time, urllib.request
ok = True
for url in sys.argv[1:]:
    host, port = url.split("//")[1].split(":")
    slow = []
    for i in range(50):
        s = socket.create_connection((host, int(port)), timeout=20)
        s.sendall(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 20\r\n\r\n{")
        slow.append(s)
    with urllib.request.urlopen(url + ("/" if url == sys.argv[3] else "/healthz"), timeout=10) as r:
        ok &= r.status == 200
    for s in slow:
        s.sendall(b"x" * 19)
    for s in slow:
        ok &= s.recv(64).startswith(b"HTTP/1.1 405")
        s.close()
sys.exit(0 if ok else 1)
PY

# --- huge numbers of sessions: the kiosk's and the gateway web wizard's
# session tables stay bounded and evict the oldest.  The first batch
# fills each table past its cap (kiosk 256, gateway 4,096); the second
# must not grow RSS (unbounded, it would: about 0.7 kB a session, so
# 1.7 MB). ---
sessions () { # sessions URL N: N cookie-less visits, each making a session
  python3 - "$1" "$2" <<'PY' >/dev/null
import http.client, sys
host, port = sys.argv[1].split("//")[1].split(":")
c = http.client.HTTPConnection(host, int(port), timeout=10)
for i in range(int(sys.argv[2])):
    c.request("GET", "/en/report")
    c.getresponse().read()
PY
}
rss () { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
new_cookie () { # new_cookie URL [COOKIE]: the session cookie the server sets
  curl -s -D - -o /dev/null ${2:+-H "Cookie: saferoute_session=$2"} "$1/en/report" \
    | tr -d '\r' | sed -n 's/^Set-Cookie: saferoute_session=\([0-9a-f][0-9a-f]*\);.*/\1/p'
}
for who in kiosk gateway; do
  if [ $who = kiosk ]; then u=$kiosk_url; pid=$kiosk_pid; bin=$kiosk; fill=2500
  else u=$gw_url; pid=$gw_pid; bin=$gateway; fill=4200; fi
  first=$(new_cookie "$u")
  sessions "$u" $fill
  rss0=$(rss $pid)
  sessions "$u" 2500
  rss1=$(rss $pid)
  echo "# $who RSS after $fill sessions ${rss0} kB, after $((fill + 2500)) ${rss1} kB"
  if ldd "$bin" 2>/dev/null | grep -q libasan; then
    # ASan's quarantine keeps freed sessions' memory: RSS says nothing.
    ok "# SKIP $who RSS bound under AddressSanitizer"
  else
    check "$who: $((fill + 2500)) sessions, RSS does not grow by 1 MB over the last 2,500" [ $((rss1 - rss0)) -lt 1024 ]
  fi
  again=$(new_cookie "$u" "$first")
  check "$who: the oldest session was evicted (a new cookie is issued)" sh -c "[ -n '$first' ] && [ -n '$again' ] && [ '$again' != '$first' ]"
done

# --- the stores: what they held plus what was legitimately accepted ---
arrived () { [ "$(sqlite3 "$dir/inbox.sqlite" 'SELECT count(*) FROM report')" -ge 2 ]; }
check "the kiosk's report reached the inbox" wait_until 30 arrived
counts >"$T/after"
python3 - "$T/before" "$T/after" >"$T/diff" <<'PY'
import sys
def read(p):
    return dict(kv.split("=") for kv in open(p).read().split())
b, a = read(sys.argv[1]), read(sys.argv[2])
for k in sorted(set(a) | set(b)):
    d = int(a.get(k, 0)) - int(b.get(k, 0))
    if d:
        print("%s %+d" % (k, d))
PY
echo "# store changes: $(tr '\n' ' ' <"$T/diff")"
check "demo gateway.db: nothing stored by hostile requests" sh -c "! grep -q '^state/gateway.db' '$T/diff'"
check "configured gateway.db: exactly the relayed envelope (and its ledger row)" \
  sh -c "[ \"\$(grep '^state2/gateway.db' '$T/diff' | tr '\n' ' ')\" = 'state2/gateway.db:deliveries +1 state2/gateway.db:envelopes +1 state2/gateway.db:ledger +1 ' ]"
# The demo's one accepted text is the table's hostile-but-valid message
# (sms-demo-hostile-text, answered 200); the configured gateway's is the
# signed Twilio text.  Every refused webhook stored nothing.
check "sms.db (demo and configured): exactly the one accepted text each" \
  sh -c "[ \"\$(grep 'sms.db' '$T/diff' | tr '\n' ' ')\" = 'state/sms.db:seen +1 state/sms.db:sessions +1 state2/sms.db:seen +1 state2/sms.db:sessions +1 ' ]"
check "kiosk.db: exactly the one report confirmed at the kiosk" \
  sh -c "grep -qx 'state/kiosk.db:deliveries +1' '$T/diff' && grep -qx 'state/kiosk.db:envelopes +1' '$T/diff'"
check "inbox: exactly the webhook's envelope and the kiosk's report" grep -qx 'state/inbox.sqlite:report +2' "$T/diff"
check "nothing else changed in any store" \
  sh -c "[ \$(grep -v '^state/kiosk.db:ledger' '$T/diff' | wc -l) = 10 ]"
# Two: the one enqueued before the table and the one relayed after it.
check "the pull partner's envelopes are still pending (no hostile ack took one)" sh -c \
  "curl -s -H 'Authorization: Bearer $BADINPUT_PULL_TOKEN' '$gw2_url/api/v1/partner/envelopes' \
   | python3 -c 'import json, sys; sys.exit(len(json.load(sys.stdin)[\"envelopes\"]) != 2)'"

# --- markup sent in is shown escaped, later, on the inbox page ---
curl -s "$inbox_url/" >"$T/list.html"
check "inbox list page has no raw markup" sh -c "! grep -q '<script>alert' '$T/list.html'"
bad=0
for id in $(sqlite3 "$dir/inbox.sqlite" 'SELECT id FROM report'); do
  curl -s "$inbox_url/reports/$id" >"$T/r.html"
  grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$T/r.html" || bad=1
  grep -q '<script>alert\|<img src=x' "$T/r.html" && bad=1
done
check "inbox report pages show the markup escaped" [ "$bad" = 0 ]

# --- everyone is still alive ---
for u in "$kiosk_url" "$gw_url" "$gw2_url" "$inbox_url/"; do
  case $u in */) h=$u ;; *) h=$u/healthz ;; esac
  check "still alive: $h" [ "$(curl -s -o /dev/null -w '%{http_code}' "$h")" = 200 ]
done
check "no server logged a critical error" sh -c "! grep -q 'CRITICAL\|ERROR\|AddressSanitizer\|runtime error' '$T/kiosk.log' '$T/gateway.log' '$T/gateway2.log' '$T/inbox.log'"
