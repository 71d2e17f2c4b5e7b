#!/bin/sh
# gateway-web-browser: the gateway's web wizard on a phone-sized Chromium
# with JavaScript off (tests/browser/gateway-web.mjs), reports received by
# a real saferoute-inbox; every translated language walked (untranslated
# ones reported as SKIP), zero axe-core violations on every screen.
# Screenshots go to tests/screenshots/web/ (not committed).
# Under CI=true a missing Chromium, Node or npm module is a failure.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/browser-env.sh"
. "$top_srcdir/tests/demo-pair.sh"

shots=$top_builddir/tests/screenshots/web
mkdir -p "$shots"
export SAFEROUTE_KIOSK_ASSETS="$top_srcdir/kiosk/assets"
start_inbox
start_gateway
track $gw
wait_for_http "http://127.0.0.1:$gw_port/healthz" || bail "gateway did not start: $(cat "$T/gateway.log")"

# lib.sh found the untranslated catalogs (they would show English text
# under another lang attribute): walk the others.
langs=
for l in en pa ur ar so sq; do
  case " ${untranslated_langs:-} " in *" $l "*) ;; *) langs="$langs $l" ;; esac
done
GATEWAY_URL=http://127.0.0.1:$gw_port INBOX_URL=$inbox_url \
LANGS=${GATEWAY_WEB_TEST_LANGS:-$langs} SKIP_LANGS=${untranslated_langs:-} \
SCREENSHOTS=$shots NODE_MODULES=$modules CHROMIUM=$CHROMIUM \
  "$NODE" "$top_srcdir/tests/browser/gateway-web.mjs"
status=$?
[ "$status" = 0 ] || { echo "# gateway log:"; sed 's/^/# /' "$T/gateway.log" | tail -n 20; }
exit $status
