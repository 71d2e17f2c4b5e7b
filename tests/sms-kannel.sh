#!/bin/sh
# sms-kannel: a real Kannel (bearerbox + smsbox + fakesmsc, Debian's kannel
# and kannel-extras) in front of the real gateway's /sms/kannel, with the
# demo inbox behind it.  In each of the six languages a whole conversation,
# typed at the fake SMSC, ends in a report that the inbox opens; the reply
# bytes that reach the fake SMSC are checked, so Urdu, Arabic and Punjabi
# must arrive as their own letters, not "?????".  Messages in those
# scripts are sent as UCS-2, and smsbox runs without mo-recode, so the
# gateway decodes raw UTF-16BE (coding=2).
. "${top_srcdir:-.}/tests/lib.sh"
bearerbox=/usr/sbin/bearerbox
smsbox=/usr/sbin/smsbox
fakesmsc=/usr/lib/kannel/test/fakesmsc
need "$bearerbox" "$smsbox" "$fakesmsc"
[ -f "$top_srcdir/tests/demo-pair.sh" ] || skip_all "the gateway and the inbox have not landed"
[ -f "$top_srcdir/src/convo.h" ] || skip_all "the conversation engine has not landed"
. "$top_srcdir/tests/demo-pair.sh"

start_inbox
start_gateway
track $gw
wait_for_http "http://127.0.0.1:$gw_port/healthz" || bail "gateway did not start: $(cat "$T/gateway.log")"

admin_port=$(free_port)
smsbox_port=$(free_port)
fake_ports=""
for _k in 1 2 3 4 5 6; do fake_ports="$fake_ports $(free_port)"; done
sendsms_port=$(free_port)
mkdir -p "$T/kannel/spool"
sed -e "s|@ADMIN_PORT@|$admin_port|" -e "s|@SMSBOX_PORT@|$smsbox_port|" \
    $(k=0; for p in $fake_ports; do k=$((k + 1)); printf ' -e s|@FAKE_PORT_%s@|%s|' $k $p; done) \
    -e "s|@SENDSMS_PORT@|$sendsms_port|" \
    -e "s|@DIR@|$T/kannel|" -e "s|@GATEWAY@|http://127.0.0.1:$gw_port|" \
    "$top_srcdir/tests/kannel/kannel.conf.in" > "$T/kannel/kannel.conf"
"$bearerbox" "$T/kannel/kannel.conf" > "$T/kannel/bearerbox.out" 2>&1 &
track $!
wait_for_http "http://127.0.0.1:$admin_port/status?password=test" \
  || bail "bearerbox did not start: $(tail -5 "$T/kannel/bearerbox.out")"
"$smsbox" "$T/kannel/kannel.conf" > "$T/kannel/smsbox.out" 2>&1 &
track $!
wait_for_http "http://127.0.0.1:$sendsms_port/" \
  || bail "smsbox did not start: $(tail -5 "$T/kannel/smsbox.out")"

replies=$top_srcdir/tests/kannel/fakesmsc-replies.py
n=0
# sms FROM TEXT: one message through the fake SMSC at $fake_port; the
# reply it got back is left in $reply (UTF-8), the fakesmsc log in
# $T/fs.FROM.N.log.
sms () {
  n=$((n + 1))
  _msg=$(python3 - "$1" "$2" <<'PY'
import sys, urllib.parse
sender, text = sys.argv[1], sys.argv[2]
if text.isascii():
    print("%s 60000 text %s" % (sender, text))
else:
    print("%s 60000 ucs2 %s" % (sender, urllib.parse.quote(text.encode("utf-16-be"), safe="")))
PY
)
  "$fakesmsc" -H 127.0.0.1 -r "$fake_port" -i 0.1 -m 1 "$_msg" > "$T/fs.$1.$n.log" 2>&1 &
  _fs=$!
  wait_until 30 sh -c "python3 '$replies' '$T/fs.$1.$n.log' '$1' > '$reply'"
  _rc=$?
  # fakesmsc lingers for seconds after a TERM; nothing of it is needed.
  kill -KILL $_fs 2>/dev/null
  wait $_fs 2>/dev/null
  return $_rc
}

# has FILE WORD...: every WORD occurs in FILE.
has () {
  _f=$1; shift
  for _w in "$@"; do grep -qF -- "$_w" "$_f" || return 1; done
}

# find_report REF OUT: the report in the inbox with reference REF, as
# JSON, in OUT.
find_report () {
  for _id in $(inbox_ids); do
    "$inbox" --demo --state-dir "$dir" show "$_id" --json > "$2" 2>/dev/null || continue
    python3 -c "import json,sys; sys.exit(0 if json.load(open('$2'))['ref'] == '$1' else 1)" && return 0
  done
  return 1
}

# conversation N CODE HELLO MESSAGE: one whole conversation, through the
# N-th fake SMSC, choosing language N; run in the background, its TAP
# lines go to $T/tap.CODE.
conversation () {
  i=$1 code=$2 hello=$3 message=$4
  fake_port=$(echo $fake_ports | cut -d' ' -f"$i")
  from=4477009001$((10 + i))
  reply=$T/reply.$code
  sms "$from" "$hello" || { not_ok "$code: no answer to the first message"; return; }
  check "$code: the first reply offers every language in its own script" \
    has "$reply" "ਪੰਜਾਬੀ" "اردو" "العربية" "Soomaali" "Shqip"
  for step in "$i" 2 1 1 1 1 "$message" 1; do
    sms "$from" "$step" || { not_ok "$code: no answer to \"$step\""; return; }
    cat "$reply" >> "$T/conversation.$code"
  done
  ref=$(grep -oE '[A-Z0-9]{4}-[A-Z0-9]{4}' "$reply" | tail -n 1)
  check "$code: the last reply gives a reference code" test -n "$ref"
  # The menu's first line as the catalog has it (English while a catalog
  # is missing) must reach the phone byte for byte, with no "???".
  check "$code: the menu arrived in the language's own letters" python3 - "$code" "$T/conversation.$code" \
      "${SAFEROUTE_LOCALEDIR:-$top_builddir/locale}" <<'PY'
import gettext, sys
code, path, localedir = sys.argv[1], sys.argv[2], sys.argv[3]
t = gettext.translation("saferoute", localedir, languages=[code], fallback=True)
menu = t.gettext("Reply with a number:\n1 How sharing information works\n2 Send a report "
                 "through a support group\n3 Find support\n4 Emergency help\nHELP for more")
first = menu.split("\n")[0].strip()
got = open(path, encoding="utf-8").read()
sys.exit(0 if first and first in got and "???" not in got else 1)
PY
  arrived () { find_report "$ref" "$T/found.$code.json"; }
  if wait_until 30 arrived; then
    check "$code: the inbox opened the report, message and language intact" python3 -c "
import json, sys
e = json.load(open('$T/found.$code.json'))
r = e['report']
sys.exit(0 if r['message'] == sys.argv[1] and r['language'] == '$code' and r['channel'] == 'sms' else 1)" "$message"
  else
    not_ok "$code: report $ref did not reach the inbox"
  fi
}

# Each language's first message and a report in its own words; pa, ur and
# ar go as UCS-2 (their high bytes include 0x0A for Gurmukhi).
conversation 1 en "hi, can you help me please" "He takes my passport and my wages" > "$T/tap.en" 2>&1 &
c1=$!
conversation 2 pa "ਸਤ ਸ੍ਰੀ ਅਕਾਲ, ਮੈਨੂੰ ਮਦਦ ਚਾਹੀਦੀ ਹੈ" "ਉਹ ਮੈਨੂੰ ਮਾਰਦਾ ਹੈ" > "$T/tap.pa" 2>&1 &
c2=$!
conversation 3 ur "السلام علیکم، مجھے مدد چاہیے" "وہ مجھے مارتا ہے" > "$T/tap.ur" 2>&1 &
c3=$!
conversation 4 ar "مرحبا، أحتاج إلى مساعدة" "زوجي يضربني" > "$T/tap.ar" 2>&1 &
c4=$!
conversation 5 so "Salaan, waxaan u baahanahay caawimaad" "Wuu i garaacaa" > "$T/tap.so" 2>&1 &
c5=$!
conversation 6 sq "Përshëndetje, kam nevojë për ndihmë" "Më rreh çdo ditë" > "$T/tap.sq" 2>&1 &
c6=$!
wait $c1 $c2 $c3 $c4 $c5 $c6
for code in en pa ur ar so sq; do
  while IFS= read -r line; do
    case $line in
      "ok "*) ok "${line#* - }" ;;
      "not ok "*) not_ok "${line#* - }" ;;
      *) echo "# $line" ;;
    esac
  done < "$T/tap.$code"
done

# The gateway restarts while a message is on its way: smsbox retries
# (http-request-retry) and the person gets the real answer, not an error.
kill $gw
wait $gw 2>/dev/null
fake_port=$(echo $fake_ports | cut -d' ' -f1)
reply=$T/reply.restart
"$fakesmsc" -H 127.0.0.1 -r "$fake_port" -i 0.1 -m 1 "447700900199 60000 text hello" \
  > "$T/fs.restart.log" 2>&1 &
fs=$!
retrying () { grep -q "Retrying request" "$T/kannel/smsbox.log"; }
wait_until 20 retrying || echo "# smsbox did not retry"
start_gateway
track $gw
answered () { python3 "$replies" "$T/fs.restart.log" 447700900199 > "$reply"; }
wait_until 30 answered
kill -KILL $fs 2>/dev/null
check "a message sent while the gateway was down is answered once it is back" \
  has "$reply" "Shqip"

check "every incoming UCS-2 message reached the gateway as coding=2" \
  grep -q "coding=2&charset=UTF-16BE" "$T/kannel/smsbox.log"
check "the gateway never logged a phone number" \
  sh -c "! grep -E '4477009001[0-9]{2}' '$T/gateway.log'"
plan $_n
