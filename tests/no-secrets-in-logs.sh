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
#
# The inbox's own database holds the opened report by design (it is the
# partner's copy); it is checked to hold the canary, which shows the
# canaries really travelled and the scan could have found them.
. "${top_srcdir:-.}/tests/lib.sh"
gateway=$top_builddir/gateway/saferoute-gateway
inbox=$top_builddir/partner/saferoute-inbox
ctl=$top_builddir/ctl/saferoutectl
example=$top_srcdir/doc/examples/report.json
if [ ! -x "$gateway" ] || [ ! -x "$ctl" ]; then
  if [ "${CI:-}" = true ] && [ -f "$top_srcdir/gateway/main.c" ]; then
    bail "gateway/main.c is here but saferoute-gateway or saferoutectl was not built"
  fi
  skip_all "saferoute-gateway has not landed"
fi
need curl python3 "$inbox"
plan 17

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

# The needles: every secret and personal datum, phone numbers also in
# their compact and digits-only forms.
digits_only () { printf '%s' "$1" | tr -cd '0-9'; }
needles=$T/needles
{
  printf '%s\n' "$phone1" "$phone2" "$msg1" "$msg2" "$msg3" "$times" "$trusted" \
    "$pull_token" "$wrong_token"
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

# --- the scan -----------------------------------------------------------
# found FILE...: prints "needle in file" for each hit; false if none.
found () {
  _hit=1
  for _f in "$@"; do
    [ -f "$_f" ] || continue
    while IFS= read -r _needle; do
      [ -n "$_needle" ] || continue
      if grep -aqF -- "$_needle" "$_f"; then
        echo "# found '$_needle' in $(basename "$_f")"
        _hit=0
      fi
    done < "$needles"
  done
  return $_hit
}
none_in () { ! found "$@"; }

check "the gateway logs reports by reference code (the scan reads real logs)" \
  grep -qF "$ref" "$logs/gateway-demo.log" "$logs/ctl.log"
check "the debug level was on (debug lines are scanned)" \
  grep -qi 'debug' "$logs/gateway-demo.log" "$logs/inbox.log" "$logs/gateway-pull.log" "$logs/ctl.log"
check "the demo gateway's log holds no secret, phone or message" none_in "$logs/gateway-demo.log"
check "the pull gateway's log holds none" none_in "$logs/gateway-pull.log"
check "the inbox's log holds none" none_in "$logs/inbox.log" "$logs/inbox-list.log"
check "saferoutectl's output holds none" none_in "$logs/ctl.log"
check "/metrics holds none" none_in "$logs/metrics.log"
check "gateway.db, its WAL and shm (running and stopped) hold none" \
  none_in "$T"/running-gateway.db* "$T"/running2-gateway.db* "$dir"/gateway.db* "$T"/state2/gateway.db*
check "the gateway database was there to scan" test -s "$T/running-gateway.db"
