#!/bin/sh
# no-secrets-in-logs: promises 3 and 5, issue 5 item 6.  Runs the real
# programs through a representative scenario with every secret known to
# the test, captures every log they write (stderr and stdout, with
# G_MESSAGES_DEBUG=all so debug lines count too) and the gateway's
# database, WAL and shared-memory files, and fails if any test secret,
# phone number or message text appears in them:
#
#   1. saferoute-inbox --demo and saferoute-gateway --demo: reports with
#      distinctive message texts and phone numbers enqueued with
#      saferoutectl, delivered by signed webhook (the demo HMAC secret and
#      the partner's secret key are known: STATE/demo/), then everything
#      an operator can make saferoutectl print.
#   2. saferoute-gateway --config with a pull partner whose pull token is
#      known: a pull with a wrong token, with the right one, an ack.
#   3. the kiosk and the SMS door: saferoute-gateway --config with [sms]
#      (Twilio auth token, Kannel secret, inbound secret) and a kiosk relay
#      token, and saferoute-kiosk relaying to it: two reports through the
#      kiosk's wizard (a phone number, safe times, a trusted person's name
#      and a message), a whole SMS conversation on /sms/inbound, messages
#      through /sms/twilio (signed) and /sms/kannel, and wrong secrets on
#      each door.
#
# The inbox's own database holds the opened report by design (it is the
# partner's copy); it is checked to hold the canary, which shows the
# canaries really travelled and the scan could have found them.
. "${top_srcdir:-.}/tests/lib.sh"
gateway=$top_builddir/gateway/saferoute-gateway
inbox=$top_builddir/partner/saferoute-inbox
kiosk=$top_builddir/kiosk/saferoute-kiosk
ctl=$top_builddir/ctl/saferoutectl
example=$top_srcdir/doc/examples/report.json
if [ ! -x "$gateway" ] || [ ! -x "$ctl" ]; then
  if [ "${CI:-}" = true ] && [ -f "$top_srcdir/gateway/main.c" ]; then
    bail "gateway/main.c is here but saferoute-gateway or saferoutectl was not built"
  fi
  skip_all "saferoute-gateway has not landed"
fi
need curl python3 "$inbox" "$kiosk"
plan 28

logs=$T/logs
mkdir -p "$logs"
dir=$T/state
mkdir -p "$dir"
export G_MESSAGES_DEBUG=all

# Canaries: random, so that a hit cannot be a coincidence (one python
# for all of them: each start costs on a loaded machine).
eval "$(python3 -c '
import secrets
h = lambda: secrets.token_hex(6)
print("r1=%s r2=%s r3=%s r4=%s r5=%s r6=%s r7=%s" % tuple(h() for _ in range(7)))
print("d1=%03d d2=%03d" % (secrets.randbelow(1000), secrets.randbelow(1000)))
print("k1=%s k2=%s k3=%s k4=%s k5=%s k6=%s k7=%s k8=%s k9=%s" % tuple(h() for _ in range(9)))
print("d3=%03d d4=%03d d5=%03d d6=%03d" % tuple(secrets.randbelow(1000) for _ in range(4)))
')"
phone1="+44 7700 900$d1"
phone2="07700 900$d2"
msg1="He keeps my passport in the car $r1"
msg2="میرا شوہر مجھے مارتا ہے $r2"
msg3="Sa aan u baxo guriga $r3"
times="only after school $r4"
trusted="my sister Amina $r5"
pull_token=pull-token-$r6$r6
wrong_token=wrong-token-$r7$r7
forged=forged-$r7
# Part 3: the kiosk and the SMS door.
kiosk_phone="+44 7700 901$d3"
kiosk_msg="He locks the door at night $k1"
kiosk_times="mornings before nine $k2"
kiosk_name="my cousin Nasrin $k3"
sms_phone="+447700902$d4"
twilio_phone="+447700903$d5"
kannel_phone="447700904$d6"
sms_msg="He took my phone and my papers $k4"
twilio_msg="Ma ku aaminsanahay gurigan $k5"
kannel_msg="ਉਹ ਮੈਨੂੰ ਮਾਰਦਾ ਹੈ $k6"
twilio_token=twilio-token-$k7$k7
kannel_secret=kannel-secret-$k8$k8
inbound_secret=inbound-secret-$k9$k9
kiosk_token=kiosk-token-$k7$k9

# The needles: every secret and personal datum, phone numbers also in
# their compact and digits-only forms.
digits_only () { printf '%s' "$1" | tr -cd '0-9'; }
needles=$T/needles
{
  printf '%s\n' "$phone1" "$phone2" "$msg1" "$msg2" "$msg3" "$times" "$trusted" \
    "$pull_token" "$wrong_token"
  printf '%s\n' "$kiosk_phone" "$kiosk_msg" "$kiosk_times" "$kiosk_name" "$sms_phone" \
    "$twilio_phone" "$kannel_phone" "$sms_msg" "$twilio_msg" "$kannel_msg" \
    "$twilio_token" "$kannel_secret" "$inbound_secret" "$kiosk_token"
  printf '%s\n' "$kiosk_phone" | tr -d ' '
  digits_only "$kiosk_phone"; echo
  digits_only "$sms_phone"; echo
  digits_only "$twilio_phone"; echo
  echo "07700901$d3"
  echo "07700902$d4"
  echo "07700903$d5"
  echo "07700904$d6"
  echo "+$kannel_phone"
  printf '%s\n' "He locks the door" "mornings before nine" "my cousin Nasrin" \
    "He took my phone" "Ma ku aaminsanahay" "ਉਹ ਮੈਨੂੰ ਮਾਰਦਾ"
  printf '%s\n' "$phone1" "$phone2" | tr -d ' '
  digits_only "$phone1"; echo
  digits_only "$phone2"; echo
  # Each number in the other spelling a normaliser could produce
  # (national 07700..., international 447700...).
  echo "07700900$d1"
  echo "447700900$d2"
  # The message texts without their random tails, in case only a prefix
  # is logged.
  printf '%s\n' "He keeps my passport" "میرا شوہر مجھے" "Sa aan u baxo"
} > "$needles"

# report OUT PARTNER MESSAGE PHONE: the example report with our canaries.
report () {
  python3 - "$example" "$@" "$times" "$trusted" <<'PY'
import json, sys
src, out, partner, message, phone, times, trusted = sys.argv[1:8]
r = json.load(open(src))
r["partner"] = partner
r["message"] = message
r["contact"]["method"] = "sms"
r["contact"]["phone"] = phone
r["contact"]["safe_times"] = times
r["contact"]["trusted_person"] = trusted
json.dump(r, open(out, "w"), ensure_ascii=False)
PY
}

# run NAME PROGRAM ARGS...: runs a command, appending all it prints to
# logs/NAME.log.
run () {
  _name=$1; shift
  "$@" >> "$logs/$_name.log" 2>&1
}

# --- 1. demo pair, signed webhook -------------------------------------
inbox_port=$(free_port)
gw_port=$(free_port)
inbox_url=http://127.0.0.1:$inbox_port
demo="--demo --state-dir $dir --demo-inbox $inbox_url"

"$inbox" --demo --state-dir "$dir" --listen "127.0.0.1:$inbox_port" > "$logs/inbox.log" 2>&1 &
track $!
wait_for_http "$inbox_url/" || bail "inbox did not start: $(cat "$logs/inbox.log")"
# shellcheck disable=SC2086
"$gateway" $demo --listen "127.0.0.1:$gw_port" > "$logs/gateway-demo.log" 2>&1 &
gw=$!
track $gw
wait_for_http "http://127.0.0.1:$gw_port/healthz" || bail "gateway did not start: $(cat "$logs/gateway-demo.log")"

hmac_secret=$(cat "$dir/demo/hmac.secret")
secret_key=$(cat "$dir/demo/partner.key")
check "the demo partner's HMAC secret and secret key are known to the test" \
  test -n "$hmac_secret" -a -n "$secret_key"
printf '%s\n' "$hmac_secret" "$secret_key" >> "$needles"

report "$T/r1.json" demo-support "$msg1" "$phone1"
report "$T/r2.json" demo-support "$msg2" "$phone2"
report "$T/r3.json" demo-support "$msg3" "$phone1"
# shellcheck disable=SC2086
run ctl "$ctl" $demo enqueue --fresh "$T/r1.json" "$T/r2.json" "$T/r3.json"
check "three reports enqueued" test "$(grep -c '^reference ' "$logs/ctl.log")" = 3
ref=$(awk '/^reference /{print $2; exit}' "$logs/ctl.log")

delivered () {
  # shellcheck disable=SC2086
  "$ctl" $demo --json status 2>/dev/null \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["delivered"] == int(sys.argv[1]) else 1)' "$1"
}
check "the gateway delivered them to the inbox" wait_until 30 delivered 3

# The WAL as it is while the gateway runs (a clean stop checkpoints it).
for f in "$dir"/gateway.db*; do cp "$f" "$T/running-$(basename "$f")"; done

# Everything an operator can make saferoutectl print.
for c in "status" "queue list" "queue list --state delivered" "ledger show $ref" \
         "ledger stats" "partners list" "partners check"; do
  # shellcheck disable=SC2086
  run ctl "$ctl" $demo $c
  # shellcheck disable=SC2086
  run ctl "$ctl" $demo --json $c
done
curl -s "http://127.0.0.1:$gw_port/metrics" > "$logs/metrics.log"

# A forged delivery straight to the inbox: its refusal is logged too.
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
  -H "Saferoute-Signature: t=1,v1=$forged" -H "Idempotency-Key: $forged" \
  --data-binary @"$T/r1.json" "$inbox_url/webhook"

# The inbox really holds the texts: the canaries travelled.
run inbox-list "$inbox" --demo --state-dir "$dir" list
first=$("$inbox" --demo --state-dir "$dir" list --json 2>/dev/null \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
"$inbox" --demo --state-dir "$dir" show "$first" --json > "$T/shown.json" 2>/dev/null
check "the partner's inbox holds a canary message (the scan could find one)" \
  sh -c "grep -qF -e '$msg1' -e '$msg2' -e '$msg3' '$T/shown.json'"

kill -TERM $gw
wait $gw 2>/dev/null

# --- 2. pull partner with a known token --------------------------------
port2=$(free_port)
base2=http://127.0.0.1:$port2
cat > "$T/gateway.conf" <<CONF
[gateway]
listen = 127.0.0.1:$port2
state_dir = $T/state2

[partner test-pull]
name = Test Pull Support
kind = support
services = *
languages = en, ur
delivery = pull
pull_token = $pull_token
public_key_file = $dir/demo/partner.pub
CONF
mkdir -p "$T/state2"
"$gateway" --config "$T/gateway.conf" > "$logs/gateway-pull.log" 2>&1 &
gw2=$!
track $gw2
wait_for_http "$base2/healthz" || bail "gateway (pull) did not start: $(cat "$logs/gateway-pull.log")"
report "$T/p1.json" test-pull "$msg1" "$phone2"
run ctl "$ctl" --config "$T/gateway.conf" enqueue --fresh "$T/p1.json"

code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $wrong_token" "$base2/api/v1/partner/envelopes")
check "a wrong pull token is refused (401)" test "$code" = 401
curl -s -H "Authorization: Bearer $pull_token" "$base2/api/v1/partner/envelopes" > "$T/pulled.json"
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["envelopes"][0]["id"])' "$T/pulled.json" 2>/dev/null)
check "the right pull token gets the envelope" test -n "$id"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $pull_token" "$base2/api/v1/partner/envelopes/$id/ack")
check "the ack is taken" test "$code" = 200
check "the pulled envelope is sealed (no message text in it)" \
  sh -c "! grep -qF -e '$msg1' -e 'He keeps my passport' '$T/pulled.json'"
run ctl "$ctl" --config "$T/gateway.conf" status
run ctl "$ctl" --config "$T/gateway.conf" queue list --state delivered
for f in "$T"/state2/gateway.db*; do cp "$f" "$T/running2-$(basename "$f")"; done
kill -TERM $gw2
wait $gw2 2>/dev/null

# --- 3. the kiosk and the SMS door --------------------------------------
port3=$(free_port)
base3=http://127.0.0.1:$port3
partner_conf () {
  demo_partner webhook "$inbox_url/webhook" "$dir" "may_tell_police = if-you-agree"
}
{ cat <<CONF
[gateway]
listen = 127.0.0.1:$port3
state_dir = $T/state3
[sms]
public_url = $base3
twilio_auth_token = $twilio_token
kannel_secret = $kannel_secret
inbound_secret = $inbound_secret
# The scan needs no translation; a missing catalog must not stop it.
allow_missing_translations = true
[kiosk test-kiosk]
token = $kiosk_token
CONF
  partner_conf; } > "$T/gateway3.conf"
mkdir -p "$T/state3"
"$gateway" --config "$T/gateway3.conf" > "$logs/gateway-doors.log" 2>&1 &
gw3=$!
track $gw3
wait_for_http "$base3/healthz" || bail "gateway (doors) did not start: $(cat "$logs/gateway-doors.log")"

# The SMS door: a whole conversation on /sms/inbound ending in a report,
# then Twilio (signed) and Kannel, and each door with a wrong secret.
sim=$top_srcdir/tools/sms-sim
# (sms-sim's output is the phone's screen, not a log: kept out of $logs.)
"$sim" --url "$base3" --secret "$inbound_secret" --from "$sms_phone" \
  hello 1 2 1 1 1 1 "$sms_msg" 1 > "$T/sms.out" 2>&1
sms_ref=$(grep -oE '[A-Z0-9]{4}-[A-Z0-9]{4}' "$T/sms.out" | tail -n 1)
check "the SMS conversation ends with a reference code" test -n "$sms_ref"
"$sim" --url "$base3" --secret "wrong-$inbound_secret" --from "$sms_phone" "$sms_msg" \
  >> "$T/sms.out" 2>&1
twilio_post () { # twilio_post TOKEN FROM TEXT: a form signed with TOKEN
  python3 - "$base3/sms/twilio" "$1" "$2" "$3" <<'PY'
import base64, hashlib, hmac, sys, urllib.parse, urllib.request, uuid
url, token, sender, text = sys.argv[1:5]
form = {"MessageSid": "SM" + uuid.uuid4().hex, "From": sender, "To": "+447700900000",
        "Body": text}
data = url + "".join(k + form[k] for k in sorted(form))
sig = base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest())
req = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(),
                             headers={"X-Twilio-Signature": sig.decode()})
try:
    print(urllib.request.urlopen(req, timeout=10).status)
except urllib.error.HTTPError as e:
    print(e.code)
PY
}
check "Twilio: a signed message is answered" \
  test "$(twilio_post "$twilio_token" "$twilio_phone" hello)" = 200
twilio_post "$twilio_token" "$twilio_phone" "$twilio_msg" > /dev/null
check "Twilio: a forged signature is refused" \
  test "$(twilio_post "wrong-$twilio_token" "$twilio_phone" "$twilio_msg")" = 403
kannel_get () { # kannel_get SECRET TEXT
  curl -s -o /dev/null -w '%{http_code}' -G "$base3/sms/kannel" \
    --data-urlencode "id=k-$(python3 -c 'import uuid; print(uuid.uuid4().hex)')" \
    --data-urlencode "from=$kannel_phone" --data-urlencode "to=60000" \
    --data-urlencode "coding=0" --data-urlencode "charset=UTF-8" \
    --data-urlencode "secret=$1" --data-urlencode "text=$2"
}
check "Kannel: a message with the secret is answered" \
  test "$(kannel_get "$kannel_secret" hello)" = 200
kannel_get "$kannel_secret" "$kannel_msg" > /dev/null
check "Kannel: a wrong secret is refused" \
  test "$(kannel_get "wrong-$kannel_secret" "$kannel_msg")" = 403

# The kiosk, relaying to that gateway with its token.
kport=$(free_port)
kurl=http://127.0.0.1:$kport
{ printf '[kiosk]\nstate_dir = %s\nlisten = 127.0.0.1:%s\n' "$T/kiosk" "$kport"
  printf 'relay_url = %s\nrelay_token = %s\n' "$base3" "$kiosk_token"
  partner_conf; } > "$T/kiosk.conf"
lang_flag=
if ! "$kiosk" --config "$T/kiosk.conf" --state-dir "$T/probe" --listen 127.0.0.1:0 \
     --idle-timeout 5 --idle-warning 5 > /dev/null 2> "$T/probe.err" \
   && grep -q catalog "$T/probe.err"; then
  lang_flag=--allow-missing-translations
fi
"$kiosk" --config "$T/kiosk.conf" --assets-dir "$top_srcdir/kiosk/assets" $lang_flag \
  > "$logs/kiosk.log" 2>&1 &
track $!
wait_for_http "$kurl/healthz" || bail "kiosk did not start: $(cat "$logs/kiosk.log")"
jar=$T/jar
get () { curl -s -b "$jar" -c "$jar" -o "$T/b" "$kurl$1"; }
step () {
  _s=$1; shift
  _c=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$T/b" | head -n 1 | sed 's/.*value="\(.*\)"/\1/')
  curl -s -b "$jar" -c "$jar" -o /dev/null "$kurl/en/report" -d "csrf=$_c" -d "step=$_s" "$@"
  get /en/report
}
# kiosk_report METHOD DETAILS...: one whole report; its code to kiosk.refs.
kiosk_report () {
  _m=$1; shift
  rm -f "$jar"
  get /en/report
  step category -d category=domestic-abuse
  step partner -d partner=demo-support
  step contact -d method="$_m"
  step details "$@"
  step needs -d interpreter=none -d woman_worker=no
  step police -d police=no
  step message --data-urlencode "message=$kiosk_msg"
  step check -d confirm=send
  grep -oE '[A-Z0-9]{4}-[A-Z0-9]{4}' "$T/b" | head -n 1 >> "$T/kiosk.refs"
}
kiosk_report phone --data-urlencode "phone=$kiosk_phone" -d voicemail=no -d sms=no \
  --data-urlencode "safe_times=$kiosk_times"
kiosk_report trusted-person --data-urlencode "trusted_person=$kiosk_name" \
  --data-urlencode "safe_times=$kiosk_times"
check "two reports made at the kiosk" \
  test "$(grep -cE '^[A-Z0-9]{4}-[A-Z0-9]{4}$' "$T/kiosk.refs")" = 2
# A wrong relay token, as a stolen kiosk's copy might try.
curl -s -o /dev/null -H "Authorization: Bearer wrong-$kiosk_token" \
  --data-binary @"$T/r1.json" "$base3/api/v1/envelopes"
kiosk_ref=$(head -n 1 "$T/kiosk.refs")
inbox_refs () { "$inbox" --demo --state-dir "$dir" list --json 2>/dev/null \
  | python3 -c 'import json,sys; [print(e["ref"]) for e in json.load(sys.stdin)]'; }
doors_arrived () { _r=$(inbox_refs); for _x in $sms_ref $(cat "$T/kiosk.refs"); do
  printf '%s\n' "$_r" | grep -qx "$_x" || return 1; done; }
check "the kiosk's and the SMS reports reach the inbox" wait_until 60 doors_arrived
kill -TERM $gw3
wait $gw3 2>/dev/null

# --- the scan -----------------------------------------------------------
# found FILE...: prints "needle in file" for each hit; false if none.
# A missing FILE counts as a hit, and so does a scan that read nothing
# (only empty files): a scan that read nothing proves nothing.
found () {
  _hit=1
  _read=0
  for _f in "$@"; do
    if [ ! -f "$_f" ]; then
      echo "# nothing to scan: $_f is missing"
      _hit=0
      continue
    fi
    [ -s "$_f" ] && _read=$((_read + 1))
    while IFS= read -r _needle; do
      [ -n "$_needle" ] || continue
      if grep -aqF -- "$_needle" "$_f"; then
        echo "# found '$_needle' in $(basename "$_f")"
        _hit=0
      fi
    done < "$needles"
  done
  if [ $_read = 0 ]; then
    echo "# nothing to scan: $* empty"
    _hit=0
  fi
  return $_hit
}
none_in () { [ $# -gt 0 ] && ! found "$@"; }

check "the gateway logs reports by reference code (the scan reads real logs)" \
  grep -qF "$ref" "$logs/gateway-demo.log" "$logs/ctl.log"
check "the debug level was on (debug lines are scanned)" \
  grep -qi 'debug' "$logs/gateway-demo.log" "$logs/inbox.log" "$logs/gateway-pull.log" "$logs/ctl.log" \
    "$logs/gateway-doors.log" "$logs/kiosk.log"
check "the demo gateway's log holds no secret, phone or message" none_in "$logs/gateway-demo.log"
check "the pull gateway's log holds none" none_in "$logs/gateway-pull.log"
check "the inbox's log holds none" none_in "$logs/inbox.log" "$logs/inbox-list.log"
check "saferoutectl's output holds none" none_in "$logs/ctl.log"
check "/metrics holds none" none_in "$logs/metrics.log"
check "the SMS and kiosk-relay gateway's log holds none" none_in "$logs/gateway-doors.log"
check "the kiosk's log holds none" none_in "$logs/kiosk.log"
check "the kiosk logged its reports by reference code (the scan reads real logs)" \
  grep -qF "$kiosk_ref" "$logs/kiosk.log"
# Each scan above fails on a missing or empty file; and no log escaped it.
unscanned=$(cd "$logs" && ls | grep -vxE '(ctl|gateway-demo|gateway-pull|gateway-doors|inbox|inbox-list|kiosk|metrics)[.]log')
check "every log the run wrote was scanned" test -z "$unscanned"
check "gateway.db, its WAL and shm (running and stopped) hold none" \
  none_in "$T"/running-gateway.db* "$T"/running2-gateway.db* "$dir"/gateway.db* "$T"/state2/gateway.db*
check "the gateway database was there to scan" test -s "$T/running-gateway.db"
