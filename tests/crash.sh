#!/bin/sh
# crash: kill -9 the gateway again and again while 1,000 reports are being
# forwarded to the real inbox, restarting it each time.  Promise 4: at the
# end the inbox holds exactly the 1,000 reports (none lost; duplicates
# from retried in-flight transfers are absorbed by the Idempotency-Key),
# and the gateway's queue has nothing queued, active or deferred.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/demo-pair.sh"
N=${CRASH_REPORTS:-1000}
plan 6

demo_report "$T/report.json"
start_inbox

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
  start_gateway
  step=$(( (round * 7) % 10 + 1 ))
  progressed () { [ "$(stored)" -ge $((before + step)) ]; }
  # A fine poll, not wait_until's 0.2 s: the forwarder sends hundreds of
  # reports a second, and the point is to kill it in the middle.
  _end=$(( $(date +%s) + 5 ))
  until progressed || [ "$(date +%s)" -ge "$_end" ]; do sleep 0.02; done
  kill -9 "$gw" 2>/dev/null && kills=$((kills + 1))
  wait "$gw" 2>/dev/null
done
check "the gateway was killed mid-run ($kills times)" test "$kills" -ge 5

start_gateway
track $gw
all_arrived () { [ "$(inbox_count)" -ge "$N" ]; }
check "every report reached the inbox after the last restart" wait_until 120 all_arrived

inbox_ids > "$T/got.ids"
check "the inbox holds exactly $N distinct reports" test "$(sort -u "$T/got.ids" | wc -l)" = "$N" -a "$(wc -l < "$T/got.ids")" = "$N"
check "they are exactly the ones enqueued" cmp -s "$T/sent.ids" "$T/got.ids"

settled () { queue_is "$N 0 0 0 0"; }
check "the gateway's queue: all delivered, nothing queued/active/deferred/held" wait_until 60 settled
