#!/bin/sh
# crash: kill -9 the gateway again and again while 1,000 reports are being
# forwarded to the real inbox, restarting it each time.  Promise 4: at the
# end the inbox holds exactly the 1,000 reports (none lost; duplicates
# from retried in-flight transfers are absorbed by the Idempotency-Key),
# and the gateway's queue has nothing queued, active or deferred.
. "${top_srcdir:-.}/tests/lib.sh"
need curl python3
gateway=$top_builddir/gateway/saferoute-gateway
inbox=$top_builddir/partner/saferoute-inbox
ctl=$top_builddir/ctl/saferoutectl
example=$top_srcdir/doc/examples/report.json
[ -x "$inbox" ] || skip_all "saferoute-inbox has not landed"
[ -f "$example" ] || skip_all "doc/examples/report.json has not landed"
N=${CRASH_REPORTS:-1000}
plan 6

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
json.dump(r, open(sys.argv[2], "w"))
PY

"$inbox" --demo --state-dir "$dir" --listen "127.0.0.1:$inbox_port" > "$T/inbox.log" 2>&1 &
track $!
wait_for_http "$inbox_url/" || bail "inbox did not start: $(cat "$T/inbox.log")"

# All N in one saferoutectl run: one intake_submit (one commit) each.
files=$(python3 -c "import sys; print(' '.join(['$T/report.json'] * $N))")
# shellcheck disable=SC2086
"$ctl" $demo enqueue --fresh $files > "$T/enqueue.out" 2> "$T/enqueue.err"
check "$N reports enqueued" test "$(grep -c '^reference ' "$T/enqueue.out")" = "$N"
awk '{print $4}' "$T/enqueue.out" | sort > "$T/sent.ids"

inbox_count () {
  "$inbox" --demo --state-dir "$dir" list --json 2>/dev/null \
    | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

# Each round: start, let some deliveries through, kill -9.  Progress is
# read from the inbox's log (one "stored delivery" line per report it
# kept): listing the inbox each time would be too slow to catch the
# gateway mid-run.
stored () { grep -c 'stored delivery' "$T/inbox.log"; }
kills=0
round=0
while [ "$round" -lt 20 ]; do
  round=$((round + 1))
  before=$(stored)
  [ "$before" -ge "$N" ] && break
  "$gateway" $demo --listen "127.0.0.1:$gw_port" >> "$T/gateway.log" 2>&1 &
  gw=$!
  step=$(( (round * 37) % 40 + 5 ))
  progressed () { [ "$(stored)" -ge $((before + step)) ]; }
  wait_until 5 progressed
  kill -9 "$gw" 2>/dev/null && kills=$((kills + 1))
  wait "$gw" 2>/dev/null
done
check "the gateway was killed mid-run ($kills times)" test "$kills" -ge 5

"$gateway" $demo --listen "127.0.0.1:$gw_port" >> "$T/gateway.log" 2>&1 &
track $!
all_arrived () { [ "$(inbox_count)" -ge "$N" ]; }
check "every report reached the inbox after the last restart" wait_until 120 all_arrived

"$inbox" --demo --state-dir "$dir" list --json 2>/dev/null \
  | python3 -c 'import json,sys; [print(e["id"]) for e in json.load(sys.stdin)]' | sort > "$T/got.ids"
check "the inbox holds exactly $N distinct reports" test "$(sort -u "$T/got.ids" | wc -l)" = "$N" -a "$(wc -l < "$T/got.ids")" = "$N"
check "they are exactly the ones enqueued" cmp -s "$T/sent.ids" "$T/got.ids"

settled () {
  "$ctl" $demo --json status | python3 -c "
import json,sys
d = json.load(sys.stdin)
sys.exit(0 if d['delivered'] == $N and d['queued'] + d['active'] + d['deferred'] + d['held'] == 0 else 1)"
}
check "the gateway's queue: all delivered, nothing queued/active/deferred/held" wait_until 60 settled
