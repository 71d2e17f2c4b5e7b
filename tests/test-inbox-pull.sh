#!/bin/sh
# saferoute-inbox pull against the real saferoute-gateway: reports queued
# for a pull partner (saferoutectl enqueue, the front doors' own path) are
# fetched, opened, stored and only then acknowledged; one sealed to a key
# the inbox does not hold is refused and stays at the gateway.
. "$top_srcdir/tests/lib.sh"
need curl python3

GATEWAY=$top_builddir/gateway/saferoute-gateway
CTL=$top_builddir/ctl/saferoutectl
INBOX=$top_builddir/partner/saferoute-inbox
ENV=$top_builddir/tests/sr-test-envelope

# Until the gateway lands on this branch there is nothing real to pull
# from; once its source is here, a missing binary is a failure.
if [ ! -f "$top_srcdir/gateway/main.c" ]; then
  skip_all "saferoute-gateway not in this tree yet"
fi
[ -x "$GATEWAY" ] || bail "gateway/main.c exists but $GATEWAY was not built"
[ -x "$CTL" ] || bail "saferoutectl was not built"

GPORT=$(free_port)
GURL=http://127.0.0.1:$GPORT
TOKEN=3f6c2a1b0e9d8c7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa00
PARTNER=test-pull

"$ENV" keygen "$T/partner.key" "$T/partner.pub" || bail keygen
"$ENV" keygen "$T/other.key" "$T/other.pub" || bail keygen

gateway_conf () { # gateway_conf PUBLIC_KEY_FILE
  cat > "$T/gateway.conf" <<EOC
[gateway]
listen = 127.0.0.1:$GPORT
state_dir = $T/gateway

[partner $PARTNER]
name = Test Pull Partner
description = A partner that fetches its reports.
kind = support
services = *
languages = en
areas = *
delivery = pull
pull_token = $TOKEN
public_key_file = $1
EOC
}
enqueue () { # enqueue NAME: sets $ref (saferoutectl gives each a new one)
  "$ENV" report "$PARTNER" "$T/$1.report.json" "pulled $1" > /dev/null || bail "report $1"
  "$CTL" --config "$T/gateway.conf" enqueue "$T/$1.report.json" > "$T/$1.enq" 2>&1 \
    || bail "enqueue $1: $(cat "$T/$1.enq")"
  ref=$(sed -n 's/^reference \([^ ]*\).*/\1/p' "$T/$1.enq")
  [ -n "$ref" ] || bail "enqueue $1 printed no reference: $(cat "$T/$1.enq")"
}
pending () { # how many envelopes the gateway still offers
  curl -s -H "Authorization: Bearer $TOKEN" "$GURL/api/v1/partner/envelopes" \
    | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["envelopes"]))'
}

mkdir -p "$T/gateway" && chmod 700 "$T/gateway"

# One report sealed to a key the inbox does not have, then two to its own.
gateway_conf "$T/other.pub"
enqueue lost; lost_ref=$ref
gateway_conf "$T/partner.pub"
enqueue one; one_ref=$ref
enqueue two; two_ref=$ref

"$GATEWAY" --config "$T/gateway.conf" > "$T/gateway.out" 2> "$T/gateway.log" &
track $!
wait_for_http "$GURL/healthz" || bail "gateway did not start: $(cat "$T/gateway.log")"

cat > "$T/inbox.conf" <<EOC
[inbox]
partner = $PARTNER
state_dir = $T/inbox
secret_key_file = $T/partner.key
gateway_url = $GURL
pull_token = $TOKEN
EOC

plan 9
check "gateway offers three envelopes" test "$(pending)" = 3
"$INBOX" --config "$T/inbox.conf" pull > "$T/pull.out" 2> "$T/pull.err"; rc=$?
check "pull with one refused envelope: exit 1 ($rc)" test "$rc" = 1
check "pull: stored 2" grep -q '^stored 2' "$T/pull.out"
"$INBOX" --config "$T/inbox.conf" list --json > "$T/list.json"
check "both openable reports are listed" \
  python3 -c 'import json,sys; refs={e["ref"] for e in json.load(open(sys.argv[1]))}; sys.exit(0 if refs=={sys.argv[2],sys.argv[3]} else 1)' \
  "$T/list.json" "$one_ref" "$two_ref"
check "the refused one is not stored" sh -c "! grep -q '$lost_ref' '$T/list.json'"
check "acknowledged ones left the gateway; the refused one stays" test "$(pending)" = 1
check "log names the refused delivery's ref, not its content" \
  sh -c "grep -q '$lost_ref' '$T/pull.err' && ! grep -q 'pulled' '$T/pull.err'"
"$INBOX" --config "$T/inbox.conf" pull > "$T/pull2.out" 2>/dev/null
check "second pull stores nothing new" grep -q '^stored 0' "$T/pull2.out"
sed "s/^pull_token = .*/pull_token = wrong-token/" "$T/inbox.conf" > "$T/wrong.conf"
"$INBOX" --config "$T/wrong.conf" pull > /dev/null 2> "$T/wrong.err"; rc=$?
check "pull with a wrong token: exit 1, says 401 ($rc)" \
  sh -c "test $rc = 1 && grep -q 401 '$T/wrong.err'"
