#!/bin/sh
# gateway-inbox: the real gateway forwards to the real partner inbox over
# loopback (signed webhook, sealed envelope): reports enqueued with
# saferoutectl arrive, are opened by the inbox with the partner's secret
# key, and the gateway's queue ends with every delivery delivered.
. "${top_srcdir:-.}/tests/lib.sh"
need curl python3
gateway=$top_builddir/gateway/saferoute-gateway
inbox=$top_builddir/partner/saferoute-inbox
ctl=$top_builddir/ctl/saferoutectl
example=$top_srcdir/doc/examples/report.json
[ -x "$inbox" ] || skip_all "saferoute-inbox has not landed"
[ -f "$example" ] || skip_all "doc/examples/report.json has not landed"
plan 8

inbox_port=$(free_port)
gw_port=$(free_port)
inbox_url=http://127.0.0.1:$inbox_port
dir=$T/state
mkdir -p "$dir"
demo="--demo --state-dir $dir --demo-inbox $inbox_url"

python3 - "$example" "$T/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["partner"] = "demo-support"
r["category"] = "modern-slavery"
r["message"] = "Gateway to inbox test message"
json.dump(r, open(sys.argv[2], "w"))
PY

"$inbox" --demo --state-dir "$dir" --listen "127.0.0.1:$inbox_port" > "$T/inbox.log" 2>&1 &
track $!
# The demo keys are made by whichever starts first: let the inbox.
wait_for_http "$inbox_url/" || bail "inbox did not start: $(cat "$T/inbox.log")"
"$gateway" $demo --listen "127.0.0.1:$gw_port" > "$T/gateway.log" 2>&1 &
track $!
wait_for_http "http://127.0.0.1:$gw_port/healthz" || bail "gateway did not start: $(cat "$T/gateway.log")"

"$ctl" $demo enqueue --fresh "$T/report.json" "$T/report.json" "$T/report.json" > "$T/enqueue.out" 2>&1
check "three reports enqueued" test "$(grep -c '^reference ' "$T/enqueue.out")" = 3
awk '{print $4}' "$T/enqueue.out" | sort > "$T/sent.ids"

inbox_ids () {
  "$inbox" --demo --state-dir "$dir" list --json 2>/dev/null \
    | python3 -c 'import json,sys; [print(e["id"]) for e in json.load(sys.stdin)]' | sort
}
arrived () { [ "$(inbox_ids | wc -l)" -ge 3 ]; }
check "they arrive at the inbox" wait_until 30 arrived
inbox_ids > "$T/got.ids"
check "the inbox holds exactly the enqueued deliveries" cmp -s "$T/sent.ids" "$T/got.ids"

id=$(head -n 1 "$T/sent.ids")
"$inbox" --demo --state-dir "$dir" show "$id" --json > "$T/show.json" 2>&1
check "the inbox opened the sealed report" python3 -c "
import json,sys
e = json.load(open('$T/show.json'))
r = e['report']
sys.exit(0 if r['message'] == 'Gateway to inbox test message' and e['category'] == 'modern-slavery' else 1)"
ref=$(grep "$id" "$T/enqueue.out" | awk '{print $2}')
check "the inbox has the reference code the person was given" python3 -c "
import json,sys
sys.exit(0 if json.load(open('$T/show.json'))['ref'] == '$ref' else 1)"

settled () {
  "$ctl" $demo --json status | python3 -c '
import json,sys
d = json.load(sys.stdin)
sys.exit(0 if d["delivered"] == 3 and d["queued"] + d["active"] + d["deferred"] + d["held"] == 0 else 1)'
}
check "the gateway's queue: three delivered, nothing left" wait_until 30 settled
check "the ledger says delivered" sh -c "'$ctl' $demo --json ledger show '$ref' | grep -q '\"state\" : \"delivered\"'"
check "the gateway logged the delivery by id" grep -q "$id" "$T/gateway.log"
