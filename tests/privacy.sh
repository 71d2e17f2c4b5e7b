#!/bin/sh
# privacy: after reports have gone through the gateway (to the real inbox
# by webhook, and to a pull partner), neither the gateway's database files
# nor any log or output of the gateway and saferoutectl holds a report's
# message text or phone number (promises 3 and 5): the queue keeps
# ciphertext only, logs carry ids and reference codes.
. "${top_srcdir:-.}/tests/lib.sh"
need curl python3
gateway=$top_builddir/gateway/saferoute-gateway
inbox=$top_builddir/partner/saferoute-inbox
ctl=$top_builddir/ctl/saferoutectl
example=$top_srcdir/doc/examples/report.json
[ -x "$inbox" ] || skip_all "saferoute-inbox has not landed"
[ -f "$example" ] || skip_all "doc/examples/report.json has not landed"
plan 9

inbox_port=$(free_port)
gw_port=$(free_port)
inbox_url=http://127.0.0.1:$inbox_port
dir=$T/state
mkdir -p "$dir"
demo="--demo --state-dir $dir --demo-inbox $inbox_url"
# Canaries unlikely anywhere by chance; the phone in the two spellings a
# careless log could use.
canary=$(python3 -c 'import secrets; print("canary-" + secrets.token_hex(8))')
digits=$(python3 -c 'import secrets; print("%03d" % secrets.randbelow(1000))')
phone="+44 7700 900$digits"
phone_compact="+447700900$digits"
message="My landlord took my passport. $canary"

python3 - "$example" "$T/report.json" "$message" "$phone" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["partner"] = "demo-support"
r["message"] = sys.argv[3]
r["contact"]["method"] = "sms"
r["contact"]["phone"] = sys.argv[4]
r["contact"]["safe_times"] = "evenings " + sys.argv[3][-8:]
json.dump(r, open(sys.argv[2], "w"))
PY

"$inbox" --demo --state-dir "$dir" --listen "127.0.0.1:$inbox_port" > "$T/inbox.log" 2>&1 &
track $!
# The demo keys are made by whichever starts first: let the inbox.
wait_for_http "$inbox_url/" || bail "inbox did not start: $(cat "$T/inbox.log")"
G_MESSAGES_DEBUG=all "$gateway" $demo --listen "127.0.0.1:$gw_port" > "$T/gateway.log" 2>&1 &
gw=$!
track $gw
wait_for_http "http://127.0.0.1:$gw_port/healthz" || bail "gateway did not start"

G_MESSAGES_DEBUG=all "$ctl" $demo enqueue --fresh "$T/report.json" "$T/report.json" > "$T/ctl.log" 2>&1
check "reports enqueued" test "$(grep -c '^reference ' "$T/ctl.log")" = 2
ref=$(awk '/^reference /{print $2; exit}' "$T/ctl.log")
settled () {
  "$ctl" $demo --json status | python3 -c '
import json,sys; d = json.load(sys.stdin); sys.exit(0 if d["delivered"] == 2 else 1)'
}
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
