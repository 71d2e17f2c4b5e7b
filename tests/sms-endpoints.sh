#!/bin/sh
# sms-endpoints: the real gateway's /sms/twilio, /sms/kannel and
# /sms/inbound on loopback, with the demo inbox behind it: Twilio
# signatures (public URL from config, default-port variant, tampering),
# duplicates answered alike without a second side effect, the rate limit
# (429 on the JSON door), body limits (413), invalid UTF-8 (400), secrets
# on the Kannel and JSON doors, what is kept on disk (no phone number, no
# draft in clear), and a whole conversation through tools/sms-sim ending
# in a report the inbox opens.
. "${top_srcdir:-.}/tests/lib.sh"
[ -f "$top_srcdir/tests/demo-pair.sh" ] || skip_all "the gateway and the inbox have not landed"
[ -f "$top_srcdir/src/convo.h" ] || skip_all "the conversation engine has not landed"
. "$top_srcdir/tests/demo-pair.sh"

start_inbox
# A stand-in for Twilio's Messages API on loopback: records what the
# gateway sends for delivery confirmations.
api_port=$(free_port)
python3 - "$api_port" "$T/api.log" <<'PY' > "$T/api.out" 2>&1 &
import http.server, sys, urllib.parse
port, log = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        with open(log, "a") as f:
            f.write("%s %s %s\n" % (self.path, self.headers.get("Authorization"), body))
        self.send_response(201); self.send_header("Content-Length", "2"); self.end_headers()
        self.wfile.write(b"{}")
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
track $!
wait_for_http "http://127.0.0.1:$api_port/" || bail "fake Twilio API did not start"
conf=$T/gateway.conf
{ cat <<CONF
[gateway]
state_dir = $dir
[sms]
public_url = https://sms.example.org
twilio_auth_token = test-auth-token
kannel_secret = kannel-test-secret
confirm = twilio
twilio_account_sid = ACtest
twilio_from = +447700900000
twilio_api_url = http://127.0.0.1:$api_port
sender_burst = 12
sender_per_hour = 1
# Until every catalog is translated; the replies checked here are English
# or Urdu letters, which a missing catalog would show as a failure.
allow_missing_translations = true
CONF
  demo_partner webhook "$inbox_url/webhook" "$dir" "may_tell_police = if-you-agree"
} > "$conf"
"$gateway" --config "$conf" --listen "127.0.0.1:$gw_port" > "$T/gateway.log" 2>&1 &
track $!
base=http://127.0.0.1:$gw_port
wait_for_http "$base/healthz" || bail "gateway did not start: $(cat "$T/gateway.log")"

# twilio URL FORM [SIGN_URL]: POST FORM signed over SIGN_URL (default the
# public URL); status in $T/status, body in $T/body.
twilio () {
  _sig=$(python3 - "${3:-https://sms.example.org/sms/twilio}" "$2" <<'PY'
import base64, hashlib, hmac, sys, urllib.parse
url, form = sys.argv[1], sys.argv[2]
pairs = urllib.parse.parse_qsl(form, keep_blank_values=True, encoding="latin-1")
s = url + "".join(k + v for k, v in sorted(pairs))
mac = hmac.new(b"test-auth-token", s.encode("latin-1"), hashlib.sha1).digest()
print(base64.b64encode(mac).decode())
PY
)
  curl -s -o "$T/body" -w '%{http_code}' -H "X-Twilio-Signature: $_sig" \
    --data-binary "$2" "$base$1" > "$T/status"
}
status_is () { [ "$(cat "$T/status")" = "$1" ]; }
body_has () { grep -qF -- "$1" "$T/body"; }
status_body () { status_is "$1" && body_has "$2"; }

form="MessageSid=SM0001&AccountSid=AC1&From=%2B447700900201&To=%2B447700900000&Body=hello"
twilio /sms/twilio "$form"
check "twilio: a signed message gets a TwiML reply" status_body 200 "<Response><Message>"
cp "$T/body" "$T/first.xml"
twilio /sms/twilio "$form"
check "twilio: the same MessageSid again gets the very same reply" cmp -s "$T/body" "$T/first.xml"
# Sign one body, send another.
twilio_tampered () {
  _good=$(python3 - "$1" <<'PY'
import base64, hashlib, hmac, sys, urllib.parse
pairs = urllib.parse.parse_qsl(sys.argv[1], keep_blank_values=True)
s = "https://sms.example.org/sms/twilio" + "".join(k + v for k, v in sorted(pairs))
print(base64.b64encode(hmac.new(b"test-auth-token", s.encode(), hashlib.sha1).digest()).decode())
PY
)
  curl -s -o "$T/body" -w '%{http_code}' -H "X-Twilio-Signature: $_good" \
    --data-binary "$2" "$base/sms/twilio" > "$T/status"
}
f2="MessageSid=SM0002&From=%2B447700900201&Body=menu"
twilio_tampered "$f2" "MessageSid=SM0002&From=%2B447700900201&Body=MENU"
check "twilio: a changed parameter is refused 403 with a reason" status_body 403 "does not match"
twilio_tampered "$f2" "$f2&Extra=1"
check "twilio: an added parameter is refused" status_is 403
twilio_tampered "$f2" "MessageSid=SM0002&Body=menu"
check "twilio: a removed parameter is refused" status_is 403
curl -s -o "$T/body" -w '%{http_code}' --data-binary "$f2" "$base/sms/twilio" > "$T/status"
check "twilio: no signature is refused 403" status_body 403 "missing X-Twilio-Signature"
twilio /sms/twilio "$f2" "$base/sms/twilio"
check "twilio: a signature over the local URL is refused (behind a proxy only the public one counts)" status_is 403
twilio /sms/twilio "$f2" "https://sms.example.org:443/sms/twilio"
check "twilio: the public URL with its default port :443 is accepted" status_is 200
twilio /sms/twilio "MessageSid=SM0003&From=%2B447700900201&Body=menu" "https://sms.example.org:8443/sms/twilio"
check "twilio: another port is refused" status_is 403
twilio /sms/twilio "MessageSid=SM0004&From=%2B447700900201&Body=menu&NewTwilioParam=x&NewTwilioParam=a"
check "twilio: unknown and repeated parameters, all signed, are accepted" status_is 200
twilio /sms/twilio "MessageSid=SM0005&From=%2B447700900201&Body=caf%E9"
check "twilio: a body that is not UTF-8 is refused 400 with a reason" status_body 400 "UTF-8"
python3 -c "print('MessageSid=SM6&From=1&Body=' + 'a' * 20000, end='')" > "$T/big.form"
curl -s -o "$T/body" -w '%{http_code}' -H "X-Twilio-Signature: x" --data-binary @"$T/big.form" "$base/sms/twilio" > "$T/status"
check "twilio: a body over 16 KiB is refused 413" status_is 413
python3 -c "print('a' * 300000, end='')" > "$T/huge.form"
curl -s -o "$T/body" -w '%{http_code}' --data-binary @"$T/huge.form" "$base/sms/inbound" > "$T/status"
check "a body over the gateway's limit is refused 413 before it is read" status_is 413

# Kannel's get-url, by hand.
kannel () { curl -s -D "$T/headers" -o "$T/body" -w '%{http_code}' "$base/sms/kannel?$1" > "$T/status"; }
kannel "id=k-1&from=447700900301&to=60000&coding=0&charset=UTF-8&text=hello"
check "kannel: without the secret 401" status_is 401
kannel "id=k-1&from=447700900301&to=60000&coding=0&charset=UTF-8&text=hello&secret=wrong"
check "kannel: with a wrong secret 403" status_is 403
kannel "id=k-1&from=447700900301&to=60000&coding=0&charset=UTF-8&text=hello&secret=kannel-test-secret"
check "kannel: a message gets its reply in the body" status_body 200 "Shqip"
cp "$T/body" "$T/k1.txt"
kannel "id=k-1&from=447700900301&to=60000&coding=0&charset=UTF-8&text=hello&secret=kannel-test-secret"
check "kannel: the same %I again gets the same reply" cmp -s "$T/body" "$T/k1.txt"
# A first message in Arabic letters, as UCS-2 (UTF-16BE), from a new
# sender: the reply offers the languages, each in its own script.
kannel "id=k-2&from=447700900302&to=60000&coding=2&charset=UTF-16BE&text=%06%33%06%44%06%27%06%45&secret=kannel-test-secret"
urdu_reply () {
  status_is 200 && grep -qi '^X-Kannel-Coding: 2' "$T/headers" \
    && grep -qi '^Content-Type: text/plain; charset=UTF-8' "$T/headers" \
    && grep -q 'اردو' "$T/body" && grep -q 'ਪੰਜਾਬੀ' "$T/body"
}
check "kannel: UCS-2 input is decoded; a reply in Arabic script says X-Kannel-Coding: 2, charset UTF-8" urdu_reply
kannel "id=k-3&from=447700900301&to=60000&coding=0&charset=UTF-8&text=%E9t%E9&secret=kannel-test-secret"
check "kannel: text that is not UTF-8 is refused 400 with a reason" status_body 400 "decode"
# Kannel's post-url: the text is the body, in the charset its
# Content-Type names (UCS-2 here), the rest in the query or X-Kannel-*.
printf '\006\063\006\104\006\047\006\105' > "$T/ucs2.body"
curl -s -D "$T/headers" -o "$T/body" -w '%{http_code}' \
  -H 'Content-Type: text/plain; charset=UTF-16BE' -H 'X-Kannel-From: 447700900303' \
  --data-binary @"$T/ucs2.body" \
  "$base/sms/kannel?id=k-post&secret=kannel-test-secret" > "$T/status"
check "kannel post-url: a UCS-2 body is decoded and answered" urdu_reply

# The generic JSON door.
inbound () { curl -s -o "$T/body" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$1" "$base/sms/inbound" > "$T/status"; }
inbound '{"from":"+447700900401","to":"60000","text":"hi","id":"j-1"}'
check "inbound: a reply as JSON" status_body 200 "\"reply\""
cp "$T/body" "$T/j1.json"
inbound '{"from":"+447700900401","to":"60000","text":"hi","id":"j-1"}'
check "inbound: the same id again: the same reply, marked duplicate" python3 -c "
import json
a = json.load(open('$T/j1.json')); b = json.load(open('$T/body'))
assert a['reply'] == b['reply'] and b.get('duplicate') is True"
printf '{"from":"+447700900401","text":"\377\376","id":"j-2"}' > "$T/bad.json"
curl -s -o "$T/body" -w '%{http_code}' --data-binary @"$T/bad.json" "$base/sms/inbound" > "$T/status"
check "inbound: invalid UTF-8 is refused 400 with a reason" status_body 400 "UTF-8"
inbound 'not json'
check "inbound: not JSON is refused 400" status_is 400
inbound '{"from":"+447700900401"}'
check "inbound: a missing text is refused 400 with a reason" status_body 400 "text"
# Rate limit: a burst of 12 (already used: 2 above), then 1 an hour.
k=10
while [ $k -lt 30 ]; do
  inbound "{\"from\":\"+447700900401\",\"text\":\"menu\",\"id\":\"j-r$k\"}"
  status_is 429 && break
  k=$((k + 1))
done
check "inbound: a flood from one sender is answered 429" status_is 429
check "inbound: ... with a reply saying to wait" python3 -c "
import json; r = json.load(open('$T/body')); assert 'wait' in r['reply'] and r['error'] == 'rate limited'"
inbound '{"from":"+447700900402","text":"hi","id":"j-other"}'
check "inbound: another sender is not limited" status_is 200

# A whole conversation with tools/sms-sim (what a newcomer does after
# `make run`), in English, ending in a report the inbox opens.
"$top_srcdir/tools/sms-sim" --url "$base" --from "+447700900501" \
  "hello" 1 2 1 1 1 1 "He keeps my passport" 1 > "$T/sim.out" 2>&1
ref=$(grep -oE '[A-Z0-9]{4}-[A-Z0-9]{4}' "$T/sim.out" | tail -n 1)
check "sms-sim: the conversation ends with a reference code" test -n "$ref"
found () {
  for _id in $(inbox_ids); do
    "$inbox" --demo --state-dir "$dir" show "$_id" --json > "$T/found.json" 2>/dev/null || continue
    grep -q "\"$ref\"" "$T/found.json" && return 0
  done
  return 1
}
check "sms-sim: the inbox opened the report" wait_until 30 found
check "sms-sim: with the message typed" grep -q "He keeps my passport" "$T/found.json"
"$top_srcdir/tools/sms-sim" --url "$base" --from "+447700900501" "hello" > "$T/sim2.out" 2>&1
check "after the report, the draft is gone (the next message starts afresh)" \
  sh -c "! grep -q 'He keeps my passport' '$T/sim2.out'"

# STOP: a last reply, then silence (an empty reply, no text sent) until
# START.
replies_of () { python3 -c "import json; print(len(json.load(open('$T/body'))['replies']))"; }
inbound '{"from":"+447700900701","text":"hello","id":"s-1"}'
inbound '{"from":"+447700900701","text":"STOP","id":"s-2"}'
check "STOP is answered once" test "$(replies_of)" -ge 1
inbound '{"from":"+447700900701","text":"hello","id":"s-3"}'
check "after STOP, nothing is sent" test "$(replies_of)" = 0
kannel "id=s-4&from=447700900701&to=60000&coding=0&charset=UTF-8&text=help&secret=kannel-test-secret"
check "after STOP, Kannel gets an empty body (omit-empty sends nothing)" \
  sh -c "[ \"\$(cat '$T/status')\" = 200 ] && [ ! -s '$T/body' ]"
inbound '{"from":"+447700900701","text":"START","id":"s-5"}'
check "START speaks again" test "$(replies_of)" -ge 1

# A report where the person asked to be texted: once the inbox has it,
# a discreet confirmation goes out through the provider's API, to them.
"$top_srcdir/tools/sms-sim" --url "$base" --from "+447700900601" \
  "hello" 1 2 1 1 3 0 1 "Please text me" 1 > "$T/sim3.out" 2>&1
ref3=$(grep -oE '[A-Z0-9]{4}-[A-Z0-9]{4}' "$T/sim3.out" | tail -n 1)
check "texted contact: the conversation ends with a reference code" test -n "$ref3"
confirmed () { grep -q "$ref3" "$T/api.log" 2>/dev/null; }
check "after delivery a confirmation goes out through the Twilio API" wait_until 30 confirmed
check "... to the person's number, from ours, with the account's credentials" python3 -c "
import base64, sys, urllib.parse
line = [l for l in open('$T/api.log') if '$ref3' in l][0]
path, scheme, credentials, body = line.split(' ', 3)
auth = scheme + ' ' + credentials
q = dict(urllib.parse.parse_qsl(body.strip()))
ok = (path == '/2010-04-01/Accounts/ACtest/Messages.json'
      and auth == 'Basic ' + base64.b64encode(b'ACtest:test-auth-token').decode()
      and q['To'] == '+447700900601' and q['From'] == '+447700900000')
sys.exit(0 if ok else 1)"
check "nobody who did not ask to be texted got one" sh -c "! grep -q '447700900501' '$T/api.log'"
once () { [ "$(grep -c "$ref3" "$T/api.log")" = 1 ]; }
check "... and it is sent once" once

# What is on disk: hashes and ciphertext only.
check "no phone number in the SMS store" sh -c "! grep -a -q '447700900' '$dir'/sms.db*"
check "no draft text in clear in the SMS store" sh -c "! grep -a -q 'passport' '$dir'/sms.db*"
check "the SMS key file is private" test "$(stat -c %a "$dir/sms.key")" = 600
check "the gateway logged no phone number" sh -c "! grep -q '447700900' '$T/gateway.log'"
plan $_n
