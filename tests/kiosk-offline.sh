#!/bin/sh
# kiosk-offline: the kiosk keeps accepting reports while its partner is
# unreachable (the centre's internet is down), and delivers every one of
# them once the partner is back: a real saferoute-inbox, stopped and
# started again on the same loopback port.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
need curl python3
kiosk=$top_builddir/kiosk/saferoute-kiosk
inbox=$top_builddir/partner/saferoute-inbox
[ -x "$inbox" ] || skip_all "saferoute-inbox not built"
plan 6

state=$T/state
port=$(free_port)

# The inbox makes the demo partner's keys; then it goes away.
"$inbox" --demo --state-dir "$state" --listen 127.0.0.1:$port >/dev/null 2>"$T/inbox0.log" &
ipid=$!
wait_until 20 grep -qs 'listening on' "$T/inbox0.log" || bail "inbox did not start"
kill $ipid; wait $ipid 2>/dev/null

{ printf '[kiosk]\nlisten = 127.0.0.1:0\n[retention]\nretry_base = 1\nretry_cap = 2\n'
  demo_partner webhook "http://127.0.0.1:$port/webhook" "$state" \
    "description = Test partner." "may_tell_police = if-you-agree"
} >"$T/kiosk.conf"
lang_flag=
"$kiosk" --config "$T/kiosk.conf" --state-dir "$T/k" --idle-timeout 3 --idle-warning 3 2>"$T/probe.err"
grep -q catalog "$T/probe.err" && lang_flag=--allow-missing-translations
"$kiosk" --config "$T/kiosk.conf" --state-dir "$T/k" --assets-dir "$top_srcdir/kiosk/assets" $lang_flag \
  >"$T/kiosk.out" 2>"$T/kiosk.log" &
track $!
wait_until 20 grep -qs 'listening on' "$T/kiosk.out" || { cat "$T/kiosk.log"; bail "kiosk did not start"; }
url=$(sed -n 's/.*listening on \(http[^ ]*\)\/$/\1/p' "$T/kiosk.out")

send () { # send MESSAGE: one whole report through the wizard; prints the ref
  jar=$T/jar.$$.$1
  curl -s -c "$jar" -b "$jar" -o "$T/b" "$url/en/report"
  c=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$T/b" | head -n 1 | sed 's/.*value="\(.*\)"/\1/')
  for f in "step=category&category=domestic-abuse" "step=partner&partner=demo-support" \
           "step=contact&method=none" "step=needs&interpreter=none&woman_worker=no" \
           "step=police&police=no" "step=message&message=$1" "step=check&confirm=send"; do
    curl -s -c "$jar" -b "$jar" -o /dev/null -d "csrf=$c&$f" "$url/en/report"
  done
  curl -s -c "$jar" -b "$jar" "$url/en/report" | grep -o '<p class="code"><bdi dir="ltr">[A-Z0-9-]*' | sed 's/.*>//'
}
ref1=$(send offline-one)
ref2=$(send offline-two)
check "first report accepted while the partner is down" [ -n "$ref1" ]
check "second report accepted while the partner is down" [ -n "$ref2" ]
check "the kiosk tried, and deferred for a retry" wait_until 20 grep -q 'to demo-support: deferred' "$T/kiosk.log"

# The partner comes back on the same port.
"$inbox" --demo --state-dir "$state" --listen 127.0.0.1:$port >/dev/null 2>"$T/inbox.log" &
track $!
wait_until 20 grep -qs 'listening on' "$T/inbox.log" || bail "inbox did not come back"
arrived () { "$inbox" --demo --state-dir "$state" list 2>/dev/null | grep -q "$1"; }
check "report $ref1 delivered once the partner is back" wait_until 60 arrived "$ref1"
check "report $ref2 delivered too" wait_until 60 arrived "$ref2"
check "nothing of the messages in the kiosk's log" sh -c "! grep -q offline- '$T/kiosk.log'"
