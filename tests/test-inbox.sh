#!/bin/sh
# saferoute-inbox end to end: the real program on a free loopback port, a
# real key pair, envelopes sealed and signed by the library itself
# (tests/sr-test-envelope), checked through HTTP, `list --json`, `show`
# and the page.
. "$top_srcdir/tests/lib.sh"
need curl python3

INBOX=$top_builddir/partner/saferoute-inbox
ENV=$top_builddir/tests/sr-test-envelope
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
PARTNER=test-partner



"$ENV" keygen "$T/partner.key" "$T/partner.pub" || bail "keygen"
"$ENV" keygen "$T/other.key" "$T/other.pub" || bail "keygen other"
(umask 077; printf '%s\n' 0123456789abcdef0123456789abcdef > "$T/hmac.secret")
(umask 077; printf '%s\n' fedcba9876543210fedcba9876543210 > "$T/wrong.secret")
cat > "$T/inbox.conf" <<EOC
[inbox]
partner = $PARTNER
listen = 127.0.0.1:$PORT
state_dir = $T/state
secret_key_file = $T/partner.key
hmac_secret_file = $T/hmac.secret
EOC

"$INBOX" --config "$T/inbox.conf" serve > "$T/inbox.out" 2> "$T/inbox.log" &
track $!
wait_for_http "$URL/" || bail "inbox did not start: $(cat "$T/inbox.log")"

# post BODY_FILE [CONTENT_TYPE [SIGNATURE [KEY]]]: prints the status; the
# reply body is left in $T/reply.  "-" leaves a header out.
post () {
  _ct=${2:-application/json}; _sig=${3:--}; _key=${4:--}
  set -- -s -o "$T/reply" -w '%{http_code}' --data-binary "@$1" \
    -H "Content-Type: $_ct"
  [ "$_sig" = - ] || set -- "$@" -H "Saferoute-Signature: $_sig"
  [ "$_key" = - ] || set -- "$@" -H "Idempotency-Key: $_key"
  curl "$@" "$URL/webhook"
}
sign () { "$ENV" sign "$T/hmac.secret" "$@"; }
# seal NAME [MESSAGE]: $T/NAME.json, and sets $id and $ref.
seal () {
  _out=$("$ENV" seal "$T/partner.pub" "${PARTNER_FOR:-$PARTNER}" "$T/$1.json" "${2:-}") \
    || bail "seal $1"
  id=$(echo "$_out" | sed -n 's/^id=//p'); ref=$(echo "$_out" | sed -n 's/^ref=//p')
}
# list --json is pretty-printed by json-glib: one '"id" : "..."' line per
# report (grep, not python, keeps the test fast).
count () {
  "$INBOX" --config "$T/inbox.conf" list --json | grep -c '^ *"id" : '
}
listed () { # listed ID: is ID in list --json?
  "$INBOX" --config "$T/inbox.conf" list --json | grep -q "^ *\"id\" : \"$1\""
}

# A valid delivery.
seal good 'First line <script>alert(1)</script>\nSecond line & more'
good_id=$id good_ref=$ref
status=$(post "$T/good.json" application/json "$(sign "$T/good.json")" "$good_id")
check "valid envelope: 200 ($status)" test "$status" = 200
check "valid envelope: status stored" grep -q '"status" *: *"stored"' "$T/reply"
check "stored row is in list --json" listed "$good_id"
"$INBOX" --config "$T/inbox.conf" list --json > "$T/list.json"
check "list --json has ref, category, language, contact method" \
  python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))[0]; sys.exit(0 if (e["ref"],e["category"],e["language"],e["contact_method"])==(sys.argv[2],"domestic-abuse","en","phone") else 1)' "$T/list.json" "$good_ref"

# Duplicate: same Idempotency-Key, one row.
status=$(post "$T/good.json" application/json "$(sign "$T/good.json")" "$good_id")
check "duplicate: 200 ($status)" test "$status" = 200
check "duplicate: status duplicate" grep -q '"status" *: *"duplicate"' "$T/reply"
check "duplicate: still one row" test "$(count)" = 1

# Signatures.
seal bad
status=$(post "$T/bad.json" application/json "$("$ENV" sign "$T/wrong.secret" "$T/bad.json")" "$id")
check "wrong secret: 401 ($status)" test "$status" = 401
check "wrong secret: not stored" test "$(count)" = 1
status=$(post "$T/bad.json" application/json "$(sign "$T/bad.json" 360)" "$id")
check "signature 6 minutes old: 401 ($status)" test "$status" = 401
check "stale: reason given" grep -qiE 'old|stale|toler' "$T/reply"
status=$(post "$T/bad.json" application/json - "$id")
check "missing signature: 401 ($status)" test "$status" = 401
printf '{"v":1,"id":"x"}' > "$T/tampered.json"
status=$(post "$T/tampered.json" application/json "$(sign "$T/bad.json")" x)
check "signature of another body: 401 ($status)" test "$status" = 401
check "none of those stored" test "$(count)" = 1

# Envelope checks after the signature.
status=$(post "$T/bad.json" application/json "$(sign "$T/bad.json")" -)
check "missing Idempotency-Key: 400 ($status)" test "$status" = 400
status=$(post "$T/bad.json" application/json "$(sign "$T/bad.json")" not-the-id)
check "Idempotency-Key not the envelope id: 400 ($status)" test "$status" = 400
"$ENV" seal "$T/other.pub" "$PARTNER" "$T/otherkey.json" > "$T/otherkey.ids" || bail seal
other_id=$(sed -n 's/^id=//p' "$T/otherkey.ids")
status=$(post "$T/otherkey.json" application/json "$(sign "$T/otherkey.json")" "$other_id")
check "sealed to another key: 422 ($status)" test "$status" = 422
PARTNER_FOR=someone-else seal elsewhere
status=$(post "$T/elsewhere.json" application/json "$(sign "$T/elsewhere.json")" "$id")
check "envelope for another partner: 403 ($status)" test "$status" = 403
check "another partner: reason names it" grep -q someone-else "$T/reply"
check "none of those stored either" test "$(count)" = 1

# Transport checks.
status=$(post "$T/bad.json" text/plain "$(sign "$T/bad.json")" "$id")
check "text/plain: 415 ($status)" test "$status" = 415
{ printf '{"pad":"'; head -c 70000 /dev/zero | tr '\0' x; printf '"}'; } > "$T/big.json"
status=$(post "$T/big.json" application/json "$(sign "$T/big.json")" big)
check "70 kB body: 413 ($status)" test "$status" = 413
status=$(curl -s -o /dev/null -w '%{http_code}' "$URL/webhook")
check "GET /webhook: 405 ($status)" test "$status" = 405

# The page.
curl -s -D "$T/page.headers" -o "$T/page.html" "$URL/"
check "page lists the reference code in <bdi>" grep -q "<bdi>$good_ref</bdi>" "$T/page.html"
check "page: lang and a th with scope" grep -q '<th scope="col">' "$T/page.html"
check "page: CSP default-src 'none'" grep -qi "^content-security-policy: default-src 'none'" "$T/page.headers"
check "page: Cache-Control no-store" grep -qi '^cache-control: no-store' "$T/page.headers"
curl -s -o "$T/report.html" "$URL/reports/$good_id"
check "report page escapes markup" grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$T/report.html"
check "report page has no raw <script>" sh -c "! grep -qi '<script' '$T/report.html'"
check "report page keeps line breaks" grep -q '<br>' "$T/report.html"
status=$(curl -s -o /dev/null -w '%{http_code}' "$URL/reports/no-such-id")
check "unknown report: 404 ($status)" test "$status" = 404

# Logs carry ids and refs, never the report.
check "log names the delivery id" grep -q "$good_id" "$T/inbox.log"
check "log never holds the message" sh -c "! grep -q -e 'alert(1)' -e 'Second line' -e 447700900123 '$T/inbox.log'"

# show --json holds the opened report.
"$INBOX" --config "$T/inbox.conf" show --json "$good_id" > "$T/show.json"
check "show --json has the message" \
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["report"]; sys.exit(0 if "Second line" in r["message"] and "\n" in r["message"] else 1)' "$T/show.json"

# import: the attachment of an e-mail delivery.
seal imported 'sent by e-mail'
out=$("$INBOX" --config "$T/inbox.conf" import "$T/imported.json"); rc=$?
check "import: exit 0 ($rc)" test "$rc" = 0
check "import: says stored" sh -c "echo '$out' | grep -q '^stored $id'"
check "import: listed" listed "$id"
out=$("$INBOX" --config "$T/inbox.conf" import "$T/imported.json"); rc=$?
check "import again: exit 0, duplicate" sh -c "test $rc = 0 && echo '$out' | grep -q '^duplicate'"
"$INBOX" --config "$T/inbox.conf" import "$T/otherkey.json" 2> "$T/import.err"; rc=$?
check "import of an envelope we cannot open: exit 1 ($rc)" test "$rc" = 1
check "import refused: not listed" sh -c "! \"$INBOX\" --config '$T/inbox.conf' list --json | grep -q '$other_id'"
check "rows: good + imported" test "$(count)" = 2

# A readable secret key is refused, naming the file and its mode.
cp "$T/partner.key" "$T/loose.key"; chmod 644 "$T/loose.key"
sed "s|^secret_key_file = .*|secret_key_file = $T/loose.key|" "$T/inbox.conf" > "$T/loose.conf"
"$INBOX" --config "$T/loose.conf" import "$T/imported.json" 2> "$T/loose.err"; rc=$?
check "key file 0644: exit 2 ($rc)" test "$rc" = 2
check "key file 0644: message names file and mode" grep -q "loose.key.*0644" "$T/loose.err"

# Usage and configuration errors.
"$INBOX" --version > /dev/null; rc=$?
check "--version: exit 0" test "$rc" = 0
"$INBOX" --config "$T/inbox.conf" frobnicate 2> /dev/null; rc=$?
check "unknown command: exit 2 ($rc)" test "$rc" = 2
"$INBOX" --config "$T/missing.conf" list 2> "$T/missing.err"; rc=$?
check "missing config: exit 2 ($rc)" test "$rc" = 2
printf '[inbox]\nlisten = 127.0.0.1:1\n' > "$T/partial.conf"
"$INBOX" --config "$T/partial.conf" list 2> "$T/partial.err"; rc=$?
check "config without partner: exit 2, names the key" \
  sh -c "test $rc = 2 && grep -q partner '$T/partial.err'"

# pull refuses plain HTTP to another machine before any request.
{ cat "$T/inbox.conf"; printf 'gateway_url = http://gateway.example.invalid\npull_token = t\n'; } > "$T/plainpull.conf"
"$INBOX" --config "$T/plainpull.conf" pull > /dev/null 2> "$T/plainpull.err"; rc=$?
check "pull over http:// to another host: exit 1 ($rc)" test "$rc" = 1
check "pull over http:// refused by the URL rule, not by DNS" \
  sh -c "grep -qi 'https' '$T/plainpull.err' && ! grep -qi 'resolve' '$T/plainpull.err'"

# --demo: keys made 0600 in the state dir; a report sealed to the demo key
# and signed with the demo secret is stored.
DPORT=$(free_port)
"$INBOX" --demo --state-dir "$T/demo" --listen "127.0.0.1:$DPORT" 2> "$T/demo.log" &
demo_pid=$!
track $demo_pid
wait_for_http "http://127.0.0.1:$DPORT/" || bail "demo inbox did not start: $(cat "$T/demo.log")"
check "demo: secret key is 0600" test "$(stat -c %a "$T/demo/demo/partner.key")" = 600
check "demo: hmac secret is 0600" test "$(stat -c %a "$T/demo/demo/hmac.secret")" = 600
"$ENV" seal "$T/demo/demo/partner.pub" demo-support "$T/demo.json" > "$T/demo.ids" || bail seal
demo_id=$(sed -n 's/^id=//p' "$T/demo.ids")
status=$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$T/demo.json" \
  -H 'Content-Type: application/json' -H "Idempotency-Key: $demo_id" \
  -H "Saferoute-Signature: $("$ENV" sign "$T/demo/demo/hmac.secret" "$T/demo.json")" \
  "http://127.0.0.1:$DPORT/webhook")
check "demo: delivery stored ($status)" test "$status" = 200
# "stored" was said after the COMMIT: killing the server at once loses nothing.
kill -9 "$demo_pid"
check "demo: the stored delivery survives kill -9" \
  sh -c "'$INBOX' --demo --state-dir '$T/demo' list --json | grep -q '$demo_id'"

plan $_n
