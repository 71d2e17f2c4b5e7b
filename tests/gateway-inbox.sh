#!/bin/sh
# gateway-inbox: the real gateway forwards to the real partner inbox over
# loopback (signed webhook, sealed envelope): reports enqueued with
# saferoutectl arrive, are opened by the inbox with the partner's secret
# key, and the gateway's queue ends with every delivery delivered.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/demo-pair.sh"
plan 8

demo_report "$T/report.json" 'r["category"] = "modern-slavery"; r["message"] = "Gateway to inbox test message"'
start_inbox
start_gateway
track $gw
wait_for_http "http://127.0.0.1:$gw_port/healthz" || bail "gateway did not start: $(cat "$T/gateway.log")"

"$ctl" $demo enqueue --fresh "$T/report.json" "$T/report.json" "$T/report.json" > "$T/enqueue.out" 2>&1
check "three reports enqueued" test "$(grep -c '^reference ' "$T/enqueue.out")" = 3
awk '{print $4}' "$T/enqueue.out" | sort > "$T/sent.ids"

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

settled () { queue_is "3 0 0 0 0"; }
check "the gateway's queue: three delivered, nothing left" wait_until 30 settled
check "the ledger says delivered" sh -c "'$ctl' $demo --json ledger show '$ref' | grep -q '\"state\" : \"delivered\"'"
check "the gateway logged the delivery by id" grep -q "$id" "$T/gateway.log"
