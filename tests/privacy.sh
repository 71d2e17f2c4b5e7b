#!/bin/sh
# privacy: after reports have gone through the gateway to the real inbox
# (signed webhook), neither the gateway's database files
# nor any log or output of the gateway and saferoutectl holds a report's
# message text or phone number (promises 3 and 5): the queue keeps
# ciphertext only, logs carry ids and reference codes.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/demo-pair.sh"
plan 9

# Canaries unlikely anywhere by chance; the phone in the two spellings a
# careless log could use.
canary=$(python3 -c 'import secrets; print("canary-" + secrets.token_hex(8))')
digits=$(python3 -c 'import secrets; print("%03d" % secrets.randbelow(1000))')
phone="+44 7700 900$digits"
phone_compact="+447700900$digits"
message="My landlord took my passport. $canary"

demo_report "$T/report.json" '
r["message"] = args[0]
r["contact"]["method"] = "sms"
r["contact"]["phone"] = args[1]
r["contact"]["safe_times"] = "evenings " + args[0][-8:]' "$message" "$phone"

start_inbox
G_MESSAGES_DEBUG=all "$gateway" $demo --listen "127.0.0.1:$gw_port" > "$T/gateway.log" 2>&1 &
gw=$!
track $gw
wait_for_http "http://127.0.0.1:$gw_port/healthz" || bail "gateway did not start: $(cat "$T/gateway.log")"

G_MESSAGES_DEBUG=all "$ctl" $demo enqueue --fresh "$T/report.json" "$T/report.json" > "$T/ctl.log" 2>&1
check "reports enqueued" test "$(grep -c '^reference ' "$T/ctl.log")" = 2
ref=$(awk '/^reference /{print $2; exit}' "$T/ctl.log")
settled () { queue_is "2 0 0 0 0"; }
check "delivered to the inbox" wait_until 30 settled
check "the inbox did receive the text (so the canary is real)" sh -c "'$inbox' --demo --state-dir '$dir' show \$('$inbox' --demo --state-dir '$dir' list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][\"id\"])') --json | grep -qF '$canary'"

# Everything an operator can make the gateway side print.
for c in "status" "queue list --state delivered" "ledger show $ref" "ledger stats" "partners list"; do
  # shellcheck disable=SC2086
  G_MESSAGES_DEBUG=all "$ctl" $demo --json $c >> "$T/ctl.log" 2>&1
  G_MESSAGES_DEBUG=all "$ctl" $demo $c >> "$T/ctl.log" 2>&1
done
curl -s "http://127.0.0.1:$gw_port/metrics" > "$T/metrics.txt"
kill -TERM $gw
wait $gw 2>/dev/null

# absent FILE...: none of the canaries appears in the files' bytes.
absent () {
  for f in "$@"; do
    [ -f "$f" ] || continue
    for s in "$canary" "$phone" "$phone_compact" "My landlord"; do
      if grep -aqF "$s" "$f"; then echo "# found '$s' in $f"; return 1; fi
    done
  done
  return 0
}
check "the gateway database exists" test -s "$dir/gateway.db"
check "gateway.db (and its WAL) hold no message text or phone" absent "$dir/gateway.db" "$dir/gateway.db-wal" "$dir/gateway.db-shm"
check "the gateway's log (debug level) holds none" absent "$T/gateway.log"
check "saferoutectl's output and log hold none" absent "$T/ctl.log"
check "/metrics holds none" absent "$T/metrics.txt"
check "the gateway's log names the reference code instead" grep -qF "$ref" "$T/gateway.log" "$T/ctl.log"
