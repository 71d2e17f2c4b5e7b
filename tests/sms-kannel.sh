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
. "$top_srcdir/tests/demo-pair.sh"

start_inbox
start_gateway
track $gw
wait_for_http "http://127.0.0.1:$gw_port/healthz" || bail "gateway did not start: $(cat "$T/gateway.log")"

admin_port=$(free_port)
smsbox_port=$(free_port)
fake_port=$(free_port)
sendsms_port=$(free_port)
mkdir -p "$T/kannel/spool"
sed -e "s|@ADMIN_PORT@|$admin_port|" -e "s|@SMSBOX_PORT@|$smsbox_port|" \
    -e "s|@FAKE_PORT@|$fake_port|" -e "s|@SENDSMS_PORT@|$sendsms_port|" \
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
# sms FROM TEXT: one message through the fake SMSC; the reply it got back
# is left in $T/reply (UTF-8), the raw fakesmsc log in $T/fs.N.log.
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
  "$fakesmsc" -H 127.0.0.1 -r "$fake_port" -i 0.1 -m 1 "$_msg" > "$T/fs.$n.log" 2>&1 &
  _fs=$!
  wait_until 30 sh -c "python3 '$replies' '$T/fs.$n.log' '$1' > '$T/reply'"
  _rc=$?
  kill $_fs 2>/dev/null
  wait $_fs 2>/dev/null
  return $_rc
}

# has FILE WORD...: every WORD occurs in FILE.
has () {
  _f=$1; shift
  for _w in "$@"; do grep -qF -- "$_w" "$_f" || return 1; done
}

# The report in the inbox with reference REF, as JSON, in $T/found.json.
find_report () {
  for _id in $(inbox_ids); do
    "$inbox" --demo --state-dir "$dir" show "$_id" --json > "$T/found.json" 2>/dev/null || continue
    python3 -c "import json,sys; sys.exit(0 if json.load(open('$T/found.json'))['ref'] == '$1' else 1)" && return 0
  done
  return 1
}

# lang CODE CHOICE HELLO MESSAGE SCRIPT_WORD: one whole conversation.
i=0
conversation () {
  code=$1 choice=$2 hello=$3 message=$4 word=$5
  i=$((i + 1))
  from=4477009001$((10 + i))
  sms "$from" "$hello" || { not_ok "$code: no answer to the first message"; return; }
  check "$code: the first reply offers every language in its own script" \
    has "$T/reply" "ਪੰਜਾਬੀ" "اردو" "العربية" "Soomaali" "Shqip"
  for step in "$choice" 2 1 1 1 1 "$message" 1; do
    sms "$from" "$step" || { not_ok "$code: no answer to \"$step\""; return; }
    cat "$T/reply" >> "$T/conversation.$code"
  done
  ref=$(grep -oE '[A-Z0-9]{4}-[A-Z0-9]{4}' "$T/reply" | tail -n 1)
  check "$code: the last reply gives a reference code" test -n "$ref"
  check "$code: the replies arrived in the language's own letters" \
    sh -c "grep -qF -- '$word' '$T/conversation.$code' && ! grep -q '???' '$T/conversation.$code'"
  arrived () { find_report "$ref"; }
  if wait_until 30 arrived; then
    check "$code: the inbox opened the report, message and language intact" python3 -c "
import json, sys
e = json.load(open('$T/found.json'))
r = e['report']
sys.exit(0 if r['message'] == sys.argv[1] and r['language'] == '$code' and r['channel'] == 'sms' else 1)" "$message"
  else
    not_ok "$code: report $ref did not reach the inbox"
  fi
}

# Each language's first message in its own words, and a word that its
# replies must contain (in its own script for pa, ur, ar).
conversation en 1 "hi, can you help me please" "He takes my passport and my wages" "1"
conversation pa 2 "ਸਤ ਸ੍ਰੀ ਅਕਾਲ, ਮੈਨੂੰ ਮਦਦ ਚਾਹੀਦੀ ਹੈ" "ਉਹ ਮੈਨੂੰ ਮਾਰਦਾ ਹੈ" "ਦ"
conversation ur 3 "السلام علیکم، مجھے مدد چاہیے" "وہ مجھے مارتا ہے" "ے"
conversation ar 4 "مرحبا، أحتاج إلى مساعدة" "زوجي يضربني" "ال"
conversation so 5 "Salaan, waxaan u baahanahay caawimaad" "Wuu i garaacaa" "a"
conversation sq 6 "Përshëndetje, kam nevojë për ndihmë" "Më rreh çdo ditë" "ë"

check "every incoming UCS-2 message reached the gateway as coding=2" \
  grep -q "coding=2&charset=UTF-16BE" "$T/kannel/smsbox.log"
check "the gateway never logged a phone number" \
  sh -c "! grep -E '4477009001[0-9]{2}' '$T/gateway.log'"
plan $_n
