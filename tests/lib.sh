# tests/lib.sh: helpers for integration tests written in sh that print TAP.
# Source it; it sets $T (a private temporary directory removed at exit),
# and provides: free_port, wait_for_http URL [SECONDS], ok/not_ok/plan,
# demo_partner (a configuration's demo partner group),
# need PROGRAM (skip, or under CI=true fail, when a peer is missing).

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
# configure found Debian's python3 (whose packages the tests use); put it
# first so that a python3 shim earlier on PATH is not picked instead.
if [ -n "${PYTHON3:-}" ]; then PATH="$(dirname "$PYTHON3"):$PATH"; export PATH; fi
T=$(mktemp -d "${TMPDIR:-/tmp}/saferoute-test.XXXXXX")
_pids=""
_n=0
_failed=0

cleanup () {
  for p in $_pids; do kill "$p" 2>/dev/null; done
  for p in $_pids; do wait "$p" 2>/dev/null; done
  if [ "$_failed" = 0 ] || [ -z "${KEEP_TEST_DIR:-}" ]; then rm -rf "$T"; fi
}
trap cleanup EXIT INT TERM

# Remember a background process so it is killed at exit.
track () { _pids="$_pids $1"; }

plan () { echo "1..$1"; }
ok () { _n=$((_n + 1)); echo "ok $_n - $*"; }
not_ok () { _n=$((_n + 1)); _failed=1; echo "not ok $_n - $*"; }
check () { # check DESCRIPTION COMMAND...
  _d=$1; shift
  if "$@"; then ok "$_d"; else not_ok "$_d"; fi
}
bail () { echo "Bail out! $*"; exit 1; }
skip_all () { echo "1..0 # SKIP $*"; exit 0; }

# need PROGRAM...: a missing test peer skips the test, except under CI,
# where a missing peer means bootstrap did not do its job.
need () {
  for _p in "$@"; do
    if ! command -v "$_p" >/dev/null 2>&1 && [ ! -x "$_p" ]; then
      if [ "${CI:-}" = true ]; then bail "missing test peer: $_p"; fi
      skip_all "missing test peer: $_p"
    fi
  done
}

# A TCP port that nothing listens on now (the kernel picks it).
free_port () {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_for_http URL [SECONDS]: poll until the URL answers (any status).
wait_for_http () {
  timeout "${2:-20}" sh -c "until curl -s -o /dev/null \"$1\"; do sleep 0.1; done"
}

# demo_partner DELIVERY URL STATE [LINE...]: the [partner demo-support]
# group of a gateway's or kiosk's configuration: the demo partner, its
# keys where --demo wrote them (STATE/demo), delivered by DELIVERY to
# URL; each LINE ("key = value") is added as it is.
demo_partner () {
  printf '[partner demo-support]\nname = Demo Support Service\nkind = support\n'
  printf 'services = *\nlanguages = en,pa,ur,ar,so,sq\nareas = *\n'
  printf 'delivery = %s\nurl = %s\n' "$1" "$2"
  printf 'hmac_secret_file = %s/demo/hmac.secret\npublic_key_file = %s/demo/partner.pub\n' "$3" "$3"
  shift 3
  for _line in "$@"; do printf '%s\n' "$_line"; done
}

# wait_until SECONDS COMMAND...: poll a condition.
wait_until () {
  _s=$1; shift
  _end=$(( $(date +%s) + _s ))
  while ! "$@"; do
    [ "$(date +%s)" -ge "$_end" ] && return 1
    sleep 0.2
  done
  return 0
}

# Until every catalog translates (the l10n work), the gateway would refuse
# to start (lang.h): give it its development switch only while a catalog
# in $SAFEROUTE_LOCALEDIR still shows English, so that once they have
# landed every test runs it exactly as it is deployed.
if [ -n "${SAFEROUTE_LOCALEDIR:-}" ] && command -v gettext >/dev/null; then
  for _l in pa ur ar so sq; do
    if [ "$(LC_ALL=C.UTF-8 LANGUAGE=$_l TEXTDOMAINDIR=$SAFEROUTE_LOCALEDIR gettext saferoute 'Choose your language')" = 'Choose your language' ]; then
      SAFEROUTE_ALLOW_MISSING_TRANSLATIONS=1; export SAFEROUTE_ALLOW_MISSING_TRANSLATIONS
      untranslated_langs="${untranslated_langs:-}${untranslated_langs:+ }$_l"
    fi
  done
fi
