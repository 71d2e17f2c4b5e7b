#!/bin/sh
# gateway-web: the gateway's phone web wizard over real HTTP with curl:
# /report (language choice, or the browser's language), headers (no-store,
# CSP, cookie flags, Secure behind https), CSRF, the CSS and fonts without
# path traversal, a whole report that arrives opened in a real
# saferoute-inbox as a "web" report, quick exit (POST-redirect-GET,
# Clear-Site-Data, session wiped: Back and reload reach no answer), the
# body limit, and the refusal to start without the catalogs.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/demo-pair.sh"
plan 45

export SAFEROUTE_KIOSK_ASSETS="$top_srcdir/kiosk/assets"
start_inbox
start_gateway
track $gw
url=http://127.0.0.1:$gw_port
wait_for_http "$url/healthz" || bail "gateway did not start: $(cat "$T/gateway.log")"

jar=$T/jar
get () { curl -s -b "$jar" -c "$jar" -D "$T/h" -o "$T/b" -w '%{http_code}' "$@"; }
post () { _p=$1; shift; curl -s -b "$jar" -c "$jar" -D "$T/h" -o "$T/b" -w '%{http_code}' "$@" "$url$_p"; }
csrf () { grep -o 'name="csrf" value="[0-9a-f]*"' "$T/b" | head -n 1 | sed 's/.*value="\(.*\)"/\1/'; }
header () { tr -d '\r' <"$T/h" | grep -i "^$1:"; }

# --- the entry ---
check "GET /report without Accept-Language: the language choice" [ "$(get "$url/report")" = 200 ]
check "... offering every language" sh -c "grep -c 'hreflang=' '$T/b' | grep -qx 6"
check "Cache-Control: no-store" sh -c "tr -d '\r' <'$T/h' | grep -qix 'Cache-Control: no-store'"
check "strict CSP, no inline script or style" sh -c "tr -d '\r' <'$T/h' | grep -qi \"^Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'.*frame-ancestors 'none'\""
check "cookie HttpOnly, SameSite=Strict, Path=/" sh -c "tr -d '\r' <'$T/h' | grep -i '^Set-Cookie: saferoute_session=[0-9a-f]\{64\}; ' | grep -q 'Path=/; HttpOnly; SameSite=Strict'"
check "... not Secure on plain http" sh -c "! tr -d '\r' <'$T/h' | grep -i '^Set-Cookie:' | grep -qi secure"
check "Accept-Language so: redirect to /so/report" \
  sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H 'Accept-Language: so-SO, en;q=0.5' '$url/report')\" = '303 $url/so/report' ]"
check "Accept-Language by quality: ar before en" \
  sh -c "[ \"\$(curl -s -o /dev/null -w '%{redirect_url}' -H 'Accept-Language: en;q=0.4, fr, ar-EG;q=0.9' '$url/report')\" = '$url/ar/report' ]"
check "no language of ours: the choice" \
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept-Language: fr-FR, de' "$url/report")" = 200 ]
get "$url/report" >/dev/null
check "POST /report with a language: to its wizard" \
  sh -c "[ \"\$(curl -s -b '$jar' -o /dev/null -w '%{http_code} %{redirect_url}' -d csrf=$(csrf) -d lang=ur '$url/report')\" = '303 $url/ur/report' ]"
check "the explainer the wizard links to" sh -c "[ \"\$(curl -s -o '$T/e' -w '%{http_code}' '$url/en/explain/2')\" = 200 ] && grep -q 'href=\"/en/report\"' '$T/e'"
check "unknown explainer page: 404" [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/en/explain/99")" = 404 ]

# --- CSRF ---
get "$url/en/report" >/dev/null
check "POST without token: 403" [ "$(post /en/report -d step=category -d category=fgm)" = 403 ]
check "... with a page that says why" grep -q 'This page has expired' "$T/b"
check "POST with a wrong token: 403" [ "$(post /en/report -d csrf=0000 -d step=category -d category=fgm)" = 403 ]
check "POST with another session's token: 403" \
  [ "$(post /en/report -d "csrf=$(curl -s "$url/en/report" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -n 1 | sed 's/.*value="\(.*\)"/\1/')" -d step=category -d category=fgm)" = 403 ]
check "POST without our cookie: 403" \
  [ "$(curl -s -o /dev/null -w '%{http_code}' -d csrf=x -d step=category "$url/en/report")" = 403 ]
check "quick exit without the token changes nothing: 403" [ "$(post /exit -d csrf=bad)" = 403 ]

# --- CSS, script and fonts, the kiosk's, with its traversal guard ---
check "kiosk.css as text/css" sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code} %{content_type}' '$url/assets/kiosk.css')\" = '200 text/css; charset=utf-8' ]"
check "kiosk.js" [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/assets/kiosk.js")" = 200 ]
if [ -f /usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf ]; then
  check "Naskh font served locally" [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/assets/fonts/NotoNaskhArabic-Regular.ttf")" = 200 ]
else
  ok "# SKIP fonts-noto-core not installed"
fi
trav=0
for p in '/assets/../../../../etc/passwd' '/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd' \
         '/assets/fonts/..%2f..%2f..%2fetc%2fpasswd' '/assets/.hidden' \
         '/assets/%2fetc%2fpasswd' '/assets/fonts/%2e%2e%2fkiosk.css' '/assets/fonts/passwd'; do
  code=$(curl -s --path-as-is -o "$T/t" -w '%{http_code}' "$url$p")
  if [ "$code" = 200 ] || grep -q 'root:' "$T/t"; then echo "# traversal: $p gave $code"; trav=1; fi
done
check "path traversal refused" [ "$trav" = 0 ]

# --- a whole report, into the real inbox ---
rm -f "$jar"
get "$url/en/report" >/dev/null
step () { _s=$1; shift; _c=$(csrf); _code=$(post /en/report -d "csrf=$_c" -d "step=$_s" "$@"); get "$url/en/report" >/dev/null; [ "$_code" = 303 ]; }
nonce="web wizard test $$ $(date +%s)"
check "each answer is POST-redirect-GET (303)" step category -d category=modern-slavery
step partner -d partner=demo-support
step contact -d method=phone
step details --data-urlencode 'phone=+44 7700 900456' -d voicemail=no -d sms=no
step needs -d interpreter=none -d woman_worker=yes
step police -d police=no
step message --data-urlencode "message=$nonce"
check "check screen lists the message" grep -q "$nonce" "$T/b"
step check -d confirm=send
ref=$(grep -o '<p class="code"><bdi dir="ltr">[A-Z0-9]\{4\}-[A-Z0-9]\{4\}</bdi>' "$T/b" | sed 's/.*ltr">\(.*\)<\/bdi>/\1/')
check "receipt shows the reference code" [ -n "$ref" ]
check "receipt holds no personal data" sh -c "! grep -qE '7700|$nonce' '$T/b'"
check "the gateway logged the ref, not the text" sh -c "grep -q 'report $ref accepted' '$T/gateway.log' && ! grep -q '$nonce' '$T/gateway.log'"
opened () {
  for id in $(inbox_ids); do
    "$inbox" --demo --state-dir "$dir" show "$id" --json > "$T/show.json" 2>/dev/null || continue
    python3 - "$T/show.json" "$ref" "$nonce" <<'PY' && return 0
import json, sys
e = json.load(open(sys.argv[1]))
r = e["report"]
sys.exit(0 if e["ref"] == sys.argv[2] and r["message"] == sys.argv[3]
         and r["channel"] == "web" and r["category"] == "modern-slavery" else 1)
PY
  done
  return 1
}
check "the report arrives opened in the inbox, channel web" wait_until 30 opened
get "$url/en/report" >/dev/null
check "reload after sending: only the receipt" sh -c "grep -q '$ref' '$T/b' && ! grep -qE '7700|$nonce' '$T/b'"
post /done -d "csrf=$(csrf)" >/dev/null
check "finish wipes the session" sh -c "tr -d '\r' <'$T/h' | grep -q 'saferoute_session=;.*Max-Age=0'"

# --- quick exit ---
rm -f "$jar"
get "$url/en/report" >/dev/null
step category -d category=fgm
step partner -d partner=demo-support
step contact -d method=trusted-person
step details --data-urlencode "trusted_person=exit-$nonce"
old=$(awk '/saferoute_session/ {print $NF}' "$jar")
check "quick exit: 303 to the neutral page (POST-redirect-GET)" \
  sh -c "[ \"\$(curl -s -b '$jar' -D '$T/h' -o /dev/null -w '%{http_code} %{redirect_url}' -d csrf=$(csrf) '$url/exit')\" = '303 $url/exit' ]"
check "... with Clear-Site-Data cache, cookies, storage" sh -c "tr -d '\r' <'$T/h' | grep -qx 'Clear-Site-Data: \"cache\", \"cookies\", \"storage\"'"
check "... dropping the cookie" sh -c "tr -d '\r' <'$T/h' | grep -q 'saferoute_session=;.*Max-Age=0'"
check "the neutral page has no word of saferoute" \
  sh -c "[ \"\$(curl -s -o '$T/n' -w '%{http_code}' '$url/exit')\" = 200 ] && ! grep -qi 'saferoute\|report\|police\|999' '$T/n'"
curl -s -o "$T/b" -H "Cookie: saferoute_session=$old" "$url/en/report"
check "Back/reload with the old cookie: an empty wizard" \
  sh -c "grep -q 'name=\"step\" value=\"category\"' '$T/b' && ! grep -q checked '$T/b' && ! grep -q 'exit-' '$T/b'"
check "... and a new session, not the old one" sh -c "! grep -q '$old' '$T/b'"
check "re-posting the old step with the old cookie: 403, nothing kept" \
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: saferoute_session=$old" -d step=details -d "trusted_person=x" "$url/en/report")" = 403 ]

# --- body limit ---
get "$url/en/report" >/dev/null
head -c 200000 /dev/zero | tr '\0' a > "$T/big"
check "a body over max_body: 413" [ "$(post /en/report -d "csrf=$(csrf)" -d step=message --data-urlencode "message@$T/big")" = 413 ]

# --- Secure cookies behind https, and the catalogs ---
"$ctl" keygen "$T/p.key" "$T/p.pub" >/dev/null 2>&1
port2=$(free_port)
cat > "$T/https.conf" <<CONF
[gateway]
listen = 127.0.0.1:$port2
state_dir = $T/state2
public_url = https://report.example.org
web_idle_timeout = 3s
web_idle_warning = 1s

[partner pull]
name = Pull Support
kind = support
services = *
languages = en
delivery = pull
pull_token = token-0123456789abcdef0123456789abcdef
public_key_file = $T/p.pub
CONF
"$gateway" --config "$T/https.conf" > "$T/https.log" 2>&1 &
track $!
wait_for_http "http://127.0.0.1:$port2/healthz" || bail "gateway did not start: $(cat "$T/https.log")"
curl -s -D "$T/h" -o /dev/null "http://127.0.0.1:$port2/en/report"
check "public_url https: the cookie is Secure" sh -c "tr -d '\r' <'$T/h' | grep -i '^Set-Cookie: saferoute_session=' | grep -q 'SameSite=Strict; Secure'"
check "web_idle_timeout is a known key" sh -c "! grep -q 'web_idle_timeout' '$T/https.log'"
# The idle wipe, on the server, with no request (the phone may be gone).
sid=$(tr -d '\r' <"$T/h" | sed -n 's/^Set-Cookie: saferoute_session=\([0-9a-f]*\);.*/\1/Ip')
curl -s -H "Cookie: saferoute_session=$sid" -o "$T/b" "http://127.0.0.1:$port2/en/report"
curl -s -H "Cookie: saferoute_session=$sid" -o /dev/null -d "csrf=$(csrf)" -d step=category -d category=fgm "http://127.0.0.1:$port2/en/report"
curl -s -H "Cookie: saferoute_session=$sid" -o "$T/b" "http://127.0.0.1:$port2/en/report"
check "an answer kept in the session" grep -q 'name="step" value="partner"' "$T/b"
idle_gone () { [ "$(curl -s -H "Cookie: saferoute_session=$sid" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port2/en/idle")" = 303 ]; }
check "web_idle_timeout: the session is wiped on the server" wait_until 15 idle_gone
sed -e '/^web_idle_/d' -e 's/^public_url.*/&\nweb_idle_warning = 2h/' "$T/https.conf" > "$T/badidle.conf"
"$gateway" --config "$T/badidle.conf" > "$T/badidle.out" 2>&1; s=$?
check "web_idle_warning longer than the timeout: exit 2, naming the key" sh -c "[ $s = 2 ] && grep -q 'web_idle_warning' '$T/badidle.out'"
mkdir -p "$T/empty"
env -u SAFEROUTE_ALLOW_MISSING_TRANSLATIONS SAFEROUTE_LOCALEDIR="$T/empty" \
  "$gateway" --demo --listen 127.0.0.1:0 > "$T/nocat.out" 2>&1; s=$?
check "no catalogs: refuses to start (exit 2), naming language and directory" \
  sh -c "[ $s = 2 ] && grep -q '(pa).*$T/empty' '$T/nocat.out'"
check "--help names --allow-missing-translations" sh -c "'$gateway' --help | grep -q -- --allow-missing-translations"
