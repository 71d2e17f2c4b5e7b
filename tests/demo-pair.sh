# tests/demo-pair.sh: sourced (after lib.sh) by the tests that run the real
# gateway against the real demo inbox.  Sets gateway, inbox, ctl, dir,
# inbox_url, gw_port and demo (saferoutectl/gateway options for this
# pair); skips when the inbox or the example report has not landed.
need curl python3
gateway=$top_builddir/gateway/saferoute-gateway
inbox=$top_builddir/partner/saferoute-inbox
ctl=$top_builddir/ctl/saferoutectl
example=$top_srcdir/doc/examples/report.json
[ -x "$inbox" ] || skip_all "saferoute-inbox has not landed"
[ -f "$example" ] || skip_all "doc/examples/report.json has not landed"

inbox_port=$(free_port)
gw_port=$(free_port)
inbox_url=http://127.0.0.1:$inbox_port
dir=$T/state
mkdir -p "$dir"
demo="--demo --state-dir $dir --demo-inbox $inbox_url"

# demo_report OUT [PYTHON]: the example report, for the demo partner,
# with PYTHON statements applied to it (as r; argv[3:] as args).
demo_report () {
  _out=$1; shift
  _py=pass
  if [ $# -gt 0 ]; then _py=$1; shift; fi
  python3 - "$example" "$_out" "$@" <<PY
import json, sys
args = sys.argv[3:]
r = json.load(open(sys.argv[1]))
r["partner"] = "demo-support"
$_py
json.dump(r, open(sys.argv[2], "w"))
PY
}

# The inbox makes the demo partner's keys on first start; the gateway and
# saferoutectl then read them, so it goes first.
start_inbox () {
  "$inbox" --demo --state-dir "$dir" --listen "127.0.0.1:$inbox_port" > "$T/inbox.log" 2>&1 &
  track $!
  wait_for_http "$inbox_url/" || bail "inbox did not start: $(cat "$T/inbox.log")"
}

# start_gateway: in the background, logging to $T/gateway.log; sets gw.
start_gateway () {
  "$gateway" $demo --listen "127.0.0.1:$gw_port" >> "$T/gateway.log" 2>&1 &
  gw=$!
}

inbox_ids () {
  "$inbox" --demo --state-dir "$dir" list --json 2>/dev/null \
    | python3 -c 'import json,sys; [print(e["id"]) for e in json.load(sys.stdin)]' | sort
}

# queue_is "delivered queued active deferred held": saferoutectl status.
queue_is () {
  [ "$("$ctl" $demo --json status | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["delivered"], d["queued"], d["active"], d["deferred"], d["held"])')" = "$1" ]
}
