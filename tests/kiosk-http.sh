#!/bin/sh
# kiosk-http: saferoute-kiosk over real HTTP on loopback, with curl:
# headers (no-store, CSP, cookie flags), CSRF, path traversal, a whole
# report through the wizard, quick exit, server-side idle expiry, and
# start-up refusals (bad usage, bad config, missing catalogs).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
need curl python3
kiosk=$top_builddir/kiosk/saferoute-kiosk
assets=$top_srcdir/kiosk/assets
plan 34

# Until the translations land the kiosk needs the development flag; once
# they have, it must start without it (test-lang checks the catalogs).
lang_flag=

start_kiosk () { # start_kiosk NAME ARGS...: sets $url; logs in $T/NAME.log
  _name=$1; shift
  "$kiosk" --demo --demo-inbox http://127.0.0.1:9 --state-dir "$T/state-$_name" \
    --listen 127.0.0.1:0 --assets-dir "$assets" $lang_flag "$@" \
    >"$T/$_name.out" 2>"$T/$_name.log" &
  _pid=$!
  track $_pid
  if ! wait_until 20 grep -qs 'listening on' "$T/$_name.out"; then
    cat "$T/$_name.log" >&2
    bail "kiosk $_name did not start"
  fi
  url=$(sed -n 's/.*listening on \(http[^ ]*\)\/$/\1/p' "$T/$_name.out")
}

# --- start-up ---
check "--help" sh -c "'$kiosk' --help | grep -q -- --allow-missing-translations"
check "--version" sh -c "'$kiosk' --version | grep -q '^saferoute-kiosk '"
"$kiosk" --no-such-option >/dev/null 2>&1; s=$?
check "bad usage exits 2" [ "$s" = 2 ]
mkdir -p "$T/empty"
"$kiosk" --demo --state-dir "$T/s0" --listen 127.0.0.1:0 --localedir "$T/empty" >/dev/null 2>"$T/nocat.err"; s=$?
check "no catalogs: refuses to start (exit 2)" [ "$s" = 2 ]
check "no catalogs: names the language and directory" grep -q "(pa).*$T/empty" "$T/nocat.err"
if ! "$kiosk" --demo --state-dir "$T/s1" --listen 127.0.0.1:0 --idle-timeout 5 --idle-warning 5 >/dev/null 2>"$T/lang.err"; then
  if grep -q catalog "$T/lang.err"; then
    echo "# translations not complete: running with --allow-missing-translations"
    lang_flag=--allow-missing-translations
  fi
fi
"$kiosk" --demo --state-dir "$T/s1" --listen 127.0.0.1:0 --idle-timeout 5 --idle-warning 5 $lang_flag >/dev/null 2>"$T/idle.err"; s=$?
check "idle_warning >= idle_timeout exits 2" [ "$s" = 2 ]
check "... naming the key" grep -q "idle_warning" "$T/idle.err"

start_kiosk main
jar=$T/jar
get () { curl -s -b "$jar" -c "$jar" -D "$T/h" -o "$T/b" -w '%{http_code}' "$url$1"; }
post () { _p=$1; shift; curl -s -b "$jar" -c "$jar" -D "$T/h" -o "$T/b" -w '%{http_code}' "$@" "$url$_p"; }
csrf () { grep -o 'name="csrf" value="[0-9a-f]*"' "$T/b" | head -n 1 | sed 's/.*value="\(.*\)"/\1/'; }
header () { tr -d '\r' <"$T/h" | grep -i "^$1:" ; }

check "GET /healthz" [ "$(get /healthz)" = 200 ]
check "GET / is the language choice" [ "$(get /)" = 200 ]
check "Cache-Control: no-store" sh -c "tr -d '\r' <'$T/h' | grep -qi '^Cache-Control: no-store'"
check "strict CSP" sh -c "tr -d '\r' <'$T/h' | grep -qi \"^Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'\""
check "cookie HttpOnly, SameSite=Strict, Path=/" sh -c "tr -d '\r' <'$T/h' | grep -i '^Set-Cookie: saferoute_session=' | grep -q 'Path=/; HttpOnly; SameSite=Strict'"
check "every language offered" sh -c "grep -c 'hreflang=' '$T/b' | grep -qx 6"

# --- CSRF ---
check "POST without token: 403" [ "$(post /en/report -d step=category -d category=fgm)" = 403 ]
check "... with a clear page" grep -q 'This page has expired' "$T/b"
check "POST with a wrong token: 403" [ "$(post /en/report -d csrf=00 -d step=category -d category=fgm)" = 403 ]
check "POST from a browser without our cookie: 403" \
  [ "$(curl -s -o /dev/null -w '%{http_code}' -d csrf=x -d step=category "$url/en/report")" = 403 ]

# --- static files and traversal ---
check "kiosk.css served as text/css" sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code} %{content_type}' '$url/assets/kiosk.css')\" = '200 text/css; charset=utf-8' ]"
check "kiosk.js served" [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/assets/kiosk.js")" = 200 ]
if [ -f /usr/share/fonts/truetype/noto/NotoNastaliqUrdu-Regular.ttf ]; then
  check "Nastaliq font served locally" [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/assets/fonts/NotoNastaliqUrdu-Regular.ttf")" = 200 ]
else
  ok "# SKIP fonts-noto-core not installed"
fi
trav=0
for p in '/assets/../../../../etc/passwd' '/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd' \
         '/assets/fonts/../../../../../etc/passwd' '/assets/fonts/..%2f..%2f..%2fetc%2fpasswd' \
         '/assets/.hidden' '/assets/fonts/NotoSans-Regular.ttf%00.css' '/assets/%2fetc%2fpasswd' \
         '/assets/fonts/%2e%2e%2fkiosk.css'; do
  code=$(curl -s --path-as-is -o "$T/t" -w '%{http_code}' "$url$p")
  if [ "$code" = 200 ] || grep -q 'root:' "$T/t"; then echo "# traversal: $p gave $code"; trav=1; fi
done
check "path traversal refused" [ "$trav" = 0 ]

# --- a whole report ---
get /en/report >/dev/null
step () { _s=$1; shift; _c=$(csrf); post /en/report -d "csrf=$_c" -d "step=$_s" "$@" >/dev/null; get /en/report >/dev/null; }
check "wizard starts at the category" grep -q 'name="step" value="category"' "$T/b"
step category -d category=domestic-abuse
check "then the partner, with the demo partner's card" grep -q 'value="demo-support"' "$T/b"
step partner -d partner=demo-support
step contact -d method=phone
step details --data-urlencode 'phone=+44 7700 900123' -d voicemail=no -d sms=yes
step needs -d interpreter=none -d woman_worker=no
step police -d police=no
step message --data-urlencode 'message=curl test: he took my passport'
check "check screen shows the phone, isolated" grep -q '<bdi dir="ltr">+44 7700 900123</bdi>' "$T/b"
step check -d confirm=send
check "receipt with a reference code" grep -qE '<p class="code"><bdi dir="ltr">[A-Z0-9]{4}-[A-Z0-9]{4}</bdi>' "$T/b"
check "receipt has no personal data" sh -c "! grep -qE '7700|passport' '$T/b'"
check "kiosk logged the ref, not the text" sh -c "grep -q 'accepted for partner demo-support' '$T/main.log' && ! grep -q passport '$T/main.log'"

# --- quick exit ---
post /done -d "csrf=$(csrf)" >/dev/null
get /en/report >/dev/null
step category -d category=fgm
old=$(grep saferoute_session "$jar" | awk '{print $NF}')
check "quick exit shows the neutral page" [ "$(post /exit -d "csrf=$(csrf)")" = 200 ]
check "... without a word of saferoute" sh -c "! grep -qi 'saferoute\|report\|police' '$T/b'"
check "... and drops the cookie" sh -c "tr -d '\r' <'$T/h' | grep -q 'saferoute_session=;.*Max-Age=0'"
curl -s -o "$T/b" -H "Cookie: saferoute_session=$old" "$url/en/report"
check "the old cookie reaches nothing" sh -c "grep -q 'name=\"step\" value=\"category\"' '$T/b' && ! grep -q 'checked' '$T/b'"

# --- idle expiry on the server (the browser may be gone) ---
# Long enough that a loaded machine still sees the idle page first.
start_kiosk idle --idle-timeout 6 --idle-warning 3
rm -f "$jar"
get /en/report >/dev/null
step category -d category=hate-crime
check "idle page offers to continue, then wipes" sh -c "[ \"\$(curl -s -b '$jar' -o '$T/i' -w '%{http_code}' '$url/en/idle')\" = 200 ] && grep -q 'url=/timeout' '$T/i'"
expired () { [ "$(curl -s -b "$jar" -o /dev/null -w '%{http_code}' "$url/en/idle")" = 303 ]; }
check "session expires on the server with no request" wait_until 15 expired
get /en/report >/dev/null
check "after expiry the wizard is empty" sh -c "grep -q 'name=\"step\" value=\"category\"' '$T/b' && ! grep -q checked '$T/b'"
