#!/bin/sh
# sms-sync-fail: the disk refuses to sync the SMS store's WAL once.  The
# gateway runs with tests/diskfull.so in its sync mode (fsync and
# fdatasync of sms.db-wal fail with EIO while a flag file exists, writes
# go through).  Linux reports a failed write-back only once, and marks
# the lost pages clean: had the gateway simply synced again, the next
# sync would succeed and it would answer people for steps the disk may
# not hold.  So: the message whose sync failed is answered 503; after
# the window closes, a new message is still refused 503, and the log
# says why (the failure stands until a restart); after a restart both
# are answered, and a message answered before the failure, sent again,
# gets the same reply marked duplicate.
. "${top_srcdir:-.}/tests/lib.sh"
gateway=$top_builddir/gateway/saferoute-gateway
shim=$top_builddir/tests/diskfull.so
[ -x "$gateway" ] || skip_all "the gateway has not been built"
[ -f "$shim" ] || skip_all "tests/diskfull.so has not been built"
need python3
need curl

cat > "$T/gateway.conf" <<CONF
[gateway]
state_dir = $T/state
[sms]
allow_missing_translations = true
CONF

plan 9
port=$(free_port)
base=http://127.0.0.1:$port
start_gateway () {
  env SAFEROUTE_DISKFULL_DIR="$T/state" SAFEROUTE_DISKFULL_FLAG="$T/eio" \
    SAFEROUTE_DISKFULL_PREFIX=sms.db-wal SAFEROUTE_DISKFULL_SYNC=eio LD_PRELOAD="$shim" \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    "$gateway" --config "$T/gateway.conf" --listen "127.0.0.1:$port" >> "$T/gateway.log" 2>&1 &
  gw=$!
  track $gw
  wait_for_http "$base/healthz" || bail "the gateway did not start: $(cat "$T/gateway.log")"
}
# text ID FROM: "STATUS REPLY-JSON" of a "hello" to the JSON door.
text () {
  curl -s -o "$T/out" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data "{\"from\": \"$2\", \"to\": \"60000\", \"text\": \"hello\", \"id\": \"$1\"}" \
    "$base/sms/inbound"
}

start_gateway
check "before: a first message is answered" test "$(text s-1 +447700900801)" = 200
cp "$T/out" "$T/first.json"
touch "$T/eio"
check "the sync fails: that message is answered 503" test "$(text s-2 +447700900802)" = 503
rm -f "$T/eio"
check "the disk syncs again, but a new message is still refused 503" \
  test "$(text s-3 +447700900803)" = 503
check "the log says a sync failed and that only a restart recovers" \
  grep -q "sms.db-wal: a sync failed.*until saferoute-gateway restarts" "$T/gateway.log"
check "the gateway is still running (health checks answer)" kill -0 $gw
kill $gw; wait $gw 2>/dev/null
start_gateway
check "after a restart: the refused message, sent again, is answered" test "$(text s-2 +447700900802)" = 200
check "... and so is the next" test "$(text s-3 +447700900803)" = 200
check "the message answered before the failure, sent again, is answered again" \
  test "$(text s-1 +447700900801)" = 200
check "... with the same reply, marked duplicate" python3 -c "
import json, sys
a, b = json.load(open('$T/first.json')), json.load(open('$T/out'))
sys.exit(0 if b.get('duplicate') and a['replies'] == b['replies'] and a['replies'] else 1)"
