#!/bin/sh
# gateway-basic: the real saferoute-gateway on a free loopback port, driven
# with curl and the real saferoutectl: health, metrics, the partner pull
# API (no/wrong/right token, another partner's envelope), enqueue -> pull
# -> ack, status counts, the ledger, and configuration errors (exit 2,
# message naming file:line: [group] key).
. "${top_srcdir:-.}/tests/lib.sh"
need curl python3
gateway=$top_builddir/gateway/saferoute-gateway
ctl=$top_builddir/ctl/saferoutectl
example=$top_srcdir/doc/examples/report.json
[ -f "$example" ] || skip_all "doc/examples/report.json has not landed"
plan 66

port=$(free_port)
base=http://127.0.0.1:$port
token=pull-token-0123456789abcdef0123456789abcdef
other_token=other-token-fedcba9876543210fedcba9876543210

# status CODE for: curl_code [curl args...]
curl_code () { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
json () { python3 -c "import json,sys; d=json.load(open('$T/body')); print($1)"; }

# Keys: the partner's pair, made by saferoutectl keygen.
check "keygen writes a key pair" sh -c "'$ctl' keygen '$T/pull.key' '$T/pull.pub' > '$T/keygen.out' 2>&1"
check "keygen prints the public key" test "$(tail -n 1 "$T/keygen.out")" = "$(cat "$T/pull.pub")"
pub=$(cat "$T/pull.pub")
check "secret key is private (0600)" test "$(stat -c %a "$T/pull.key")" = 600
check "keygen refuses to overwrite" sh -c "! '$ctl' keygen '$T/pull.key' '$T/x.pub' 2>/dev/null"
"$ctl" keygen "$T/other.key" "$T/other.pub" >/dev/null 2>&1

cat > "$T/gateway.conf" <<CONF
[gateway]
listen = 127.0.0.1:$port
state_dir = $T/state

[partner test-pull]
name = Test Pull Support
kind = support
services = *
languages = en, ur
delivery = pull
pull_token = $token
public_key = $pub

[partner other-pull]
name = Other Support
kind = advocacy
services = *
languages = en, ur
delivery = pull
pull_token = $other_token
public_key_file = $T/other.pub
CONF

python3 - "$example" "$T/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["partner"] = "test-pull"
json.dump(r, open(sys.argv[2], "w"))
PY

"$gateway" --config "$T/gateway.conf" > "$T/gateway.log" 2>&1 &
gw=$!
track $gw
wait_for_http "$base/healthz" || bail "gateway did not start: $(cat "$T/gateway.log")"

check "healthz 200" test "$(curl_code "$base/healthz")" = 200
check "healthz says ok" grep -qx ok "$T/body"

check "metrics 200" test "$(curl_code "$base/metrics")" = 200
check "metrics is Prometheus text" python3 - "$T/body" <<'PY'
import re, sys
line_re = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_]+="[^"]*"(,[a-zA-Z_]+="[^"]*")*\})? -?[0-9.eE+]+$')
lines = open(sys.argv[1]).read().splitlines()
bad = [l for l in lines if l and not l.startswith("#") and not line_re.match(l)]
names = {l.split("{")[0].split(" ")[0] for l in lines if l and not l.startswith("#")}
need = {"saferoute_deliveries", "saferoute_forward_attempts_total",
        "saferoute_http_requests_total", "saferoute_build_info"}
sys.exit(1 if bad or not need <= names else 0)
PY
check "metrics count queued deliveries" grep -q '^saferoute_deliveries{state="queued"} 0$' "$T/body"

# The partner API.
list=$base/api/v1/partner/envelopes
check "no token: 401" test "$(curl_code "$list")" = 401
check "wrong token: 401" test "$(curl_code -H "Authorization: Bearer wrong-$token" "$list")" = 401
check "not a bearer: 401" test "$(curl_code -H "Authorization: Basic $token" "$list")" = 401
check "right token: 200" test "$(curl_code -H "Authorization: Bearer $token" "$list")" = 200
check "empty list" test "$(json 'len(d["envelopes"])')" = 0
check "bad limit: 400" test "$(curl_code -H "Authorization: Bearer $token" "$list?limit=0")" = 400

# enqueue through saferoutectl (the front doors' path), then pull.
"$ctl" --config "$T/gateway.conf" enqueue "$T/report.json" > "$T/enqueue.out" 2>&1
check "enqueue prints reference and delivery" grep -qE '^reference [A-Z0-9]{4}-[A-Z0-9]{4} delivery [0-9a-f-]{36}$' "$T/enqueue.out"
ref=$(awk '{print $2}' "$T/enqueue.out")
id=$(awk '{print $4}' "$T/enqueue.out")
"$ctl" --config "$T/gateway.conf" enqueue "$T/report.json" > "$T/enqueue2.out" 2>&1
check "the same report again: same delivery (idempotent)" cmp -s "$T/enqueue.out" "$T/enqueue2.out"

check "status: one queued" test "$("$ctl" --config "$T/gateway.conf" --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["queued"])')" = 1
check "pull lists it" test "$(curl_code -H "Authorization: Bearer $token" "$list")" = 200
check "the envelope is the one enqueued, sealed" test "$(json '[(e["id"], e["partner"], e["ref"], "sealed" in e) for e in d["envelopes"]]')" = "[('$id', 'test-pull', '$ref', True)]"
check "report text is not in the pulled envelope" sh -c "! grep -qF 'Please text first' '$T/body'"
curl_code -H "Authorization: Bearer $other_token" "$list" >/dev/null
check "another partner does not see it" test "$(json 'len(d["envelopes"])')" = 0
code=$(curl_code -X POST -H "Authorization: Bearer $other_token" "$list/$id/ack")
check "another partner cannot ack it (403/404, got $code)" sh -c "[ $code = 403 ] || [ $code = 404 ]"
check "ack without token: 401" test "$(curl_code -X POST "$list/$id/ack")" = 401
check "ack unknown id: 404" test "$(curl_code -X POST -H "Authorization: Bearer $token" "$list/00000000-0000-4000-8000-000000000000/ack")" = 404
check "ack: 200" test "$(curl_code -X POST -H "Authorization: Bearer $token" "$list/$id/ack")" = 200
check "ack says delivered" test "$(json 'd["status"]')" = delivered
curl_code -H "Authorization: Bearer $token" "$list" >/dev/null
check "acked envelope is no longer listed" test "$(json 'len(d["envelopes"])')" = 0
check "status: one delivered, none queued" test "$("$ctl" --config "$T/gateway.conf" --json status | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["delivered"], d["queued"], d["active"])')" = "1 0 0"
check "ledger show finds the reference (any case)" sh -c "'$ctl' --config '$T/gateway.conf' ledger show '$(echo "$ref" | tr 'A-Z' 'a-z')' | grep -q test-pull"

check "ledger stats: counts by partner and state, no content" python3 -c "
import json, subprocess, sys
rows = json.loads(subprocess.run(['$ctl', '--config', '$T/gateway.conf', '--json', 'ledger', 'stats'], capture_output=True, text=True).stdout)
ok = any(r['partner'] == 'test-pull' and r['state'] == 'delivered' and r['count'] == 1 for r in rows)
sys.exit(0 if ok and 'Please text first' not in json.dumps(rows) else 1)"

# --kiosk: the same commands on the kiosk's queue ([kiosk] state_dir, kiosk.db).
printf '\n[kiosk]\nstate_dir = %s\n' "$T/kiosk" >> "$T/gateway.conf"
check "--kiosk enqueue makes kiosk.db" sh -c "'$ctl' --config '$T/gateway.conf' --kiosk enqueue '$T/report.json' >/dev/null 2>&1 && test -f '$T/kiosk/kiosk.db'"
check "--kiosk status counts the kiosk's queue" test "$("$ctl" --config "$T/gateway.conf" --kiosk --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["queued"])')" = 1

# Operator actions on a second report: hold, retry, purge (held only).
c="$ctl --config $T/gateway.conf"
id2=$($c enqueue --fresh "$T/report.json" | awk '{print $4}')
check "queue hold" sh -c "$c queue hold $id2 >/dev/null && $c --json queue show $id2 | grep -q '\"state\" : \"held\"'"
check "queue list --state held shows it" sh -c "$c queue list --state held | grep -q '^$id2 '"
check "queue retry puts it back in the queue" sh -c "$c queue retry $id2 >/dev/null && $c --json queue show $id2 | grep -q '\"state\" : \"queued\"'"
check "queue purge refuses an undelivered, unheld delivery (exit 1)" sh -c "! $c queue purge $id2 >/dev/null 2>&1"
check "hold then purge drops the envelope" sh -c "$c queue hold $id2 >/dev/null && $c queue purge $id2 >/dev/null && $c --json queue show $id2 | grep -q '\"envelope_stored\" : false'"
check "queue list --state nonsense: exit 2" sh -c "$c queue list --state nonsense >/dev/null 2>&1; [ \$? = 2 ]"

# Routing: wrong method, unknown path.
check "wrong method: 405" test "$(curl_code -X POST "$base/healthz")" = 405
check "405 says what is allowed" sh -c "curl -s -D - -o /dev/null -X POST '$base/healthz' | grep -qi '^Allow: GET, HEAD'"
check "HEAD is served by GET: 200" test "$(curl_code -I "$base/healthz")" = 200
check "unknown path: 404" test "$(curl_code "$base/no/such/path")" = 404
big=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Length: 10000000' -X POST "$base/api/v1/partner/envelopes/x/ack")
check "a body over the limit: 413 (got $big)" test "$big" = 413
curl_code "$base/metrics" >/dev/null
check "metrics count the 413 too" grep -q '^saferoute_http_requests_total{code="413"} 1$' "$T/body"
check "metrics count the 401s" python3 -c "
import re,sys
m = re.search(r'^saferoute_http_requests_total\{code=\"401\"\} (\d+)$', open('$T/body').read(), re.M)
sys.exit(0 if m and int(m.group(1)) >= 4 else 1)"

kill -TERM $gw
wait $gw
check "SIGTERM: clean exit 0" test $? = 0

# Configuration errors: exit 2, the message names file, line and key.
printf '[gateway]\nlisten = 127.0.0.1:%s\nstate_dir = %s\nmax_body = lots\n' "$port" "$T/state" > "$T/bad.conf"
"$gateway" --config "$T/bad.conf" > "$T/bad.out" 2>&1
check "bad value: exit 2" test $? = 2
check "bad value: message names file:line: [group] key" grep -q "bad.conf:4: \[gateway\] max_body" "$T/bad.out"
sed -e 's/^kind = advocacy/kind = immigration-enforcement/' "$T/gateway.conf" > "$T/forbidden.conf"
line=$(grep -n '^kind = immigration' "$T/forbidden.conf" | cut -d: -f1)
"$gateway" --config "$T/forbidden.conf" > "$T/forbidden.out" 2>&1
check "forbidden partner kind: exit 2" test $? = 2
check "forbidden partner: message names file:line and key" grep -q "forbidden.conf:$line: \[partner other-pull\] kind" "$T/forbidden.out"

# partners check: pull partners have nothing to reach; a webhook to a
# closed loopback port is unreachable (exit 1, named).
check "partners check, pull only: exit 0" sh -c "'$ctl' --config '$T/gateway.conf' partners check > '$T/check.out' 2>&1"
closed=$(free_port)
cat "$T/gateway.conf" - > "$T/webhook.conf" <<CONF

[partner down-hook]
name = Down Support
kind = helpline
services = *
languages = en
delivery = webhook
url = http://127.0.0.1:$closed/hook
hmac_secret = 0123456789abcdef0123456789abcdef
public_key_file = $T/other.pub
CONF
"$ctl" --config "$T/webhook.conf" partners check > "$T/check.out" 2>&1
check "partners check, a webhook down: exit 1" test $? = 1
check "partners check names the unreachable partner" grep -q '^down-hook .*UNREACHABLE' "$T/check.out"
check "partners list shows all three" test "$("$ctl" --config "$T/webhook.conf" --json partners list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 3

# --demo without --state-dir: a temporary state directory, removed at exit.
"$gateway" --demo --listen "127.0.0.1:$port" > "$T/demo.log" 2>&1 &
demo_gw=$!
wait_for_http "$base/healthz"
demo_dir=$(sed -n 's/.*state in \([^,]*\),.*/\1/p' "$T/demo.log")
check "--demo alone uses a temporary state directory" test -f "$demo_dir/gateway.db"
kill -TERM $demo_gw
wait $demo_gw
check "... and removes it at exit" test ! -e "$demo_dir"

"$gateway" --config "$T/gateway.conf" --listen nonsense > "$T/listen.out" 2>&1
check "--listen that does not parse: exit 2" test $? = 2
printf '[gateway]\nstate_dir = %s\nlisten = 127.0.0.1:99999\n' "$T/state" > "$T/badlisten.conf"
"$gateway" --config "$T/badlisten.conf" > "$T/listen.out" 2>&1
check "listen key that does not parse: exit 2, names file:line" grep -q "badlisten.conf:3: \[gateway\] listen" "$T/listen.out"

# Usage.
check "--version" sh -c "'$gateway' --version | grep -q '^saferoute-gateway '"
check "--help exits 0" sh -c "'$gateway' --help >/dev/null"
"$gateway" --no-such-option > /dev/null 2>&1
check "unknown option: exit 2" test $? = 2
"$ctl" --config "$T/gateway.conf" frobnicate > /dev/null 2>&1
check "saferoutectl unknown command: exit 2" test $? = 2
"$ctl" --config "$T/gateway.conf" queue show 00000000-0000-4000-8000-000000000000 > /dev/null 2>&1
check "saferoutectl queue show unknown id: exit 1" test $? = 1
"$ctl" --config "$T/no-such.conf" status > "$T/ctl-bad.out" 2>&1
check "saferoutectl with a missing config: exit 2" test $? = 2
check "saferoutectl names the missing file" grep -q "no-such.conf" "$T/ctl-bad.out"
