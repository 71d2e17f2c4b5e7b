#!/bin/sh
# valgrind.sh: what `make check-valgrind` runs.  Every GTest unit-test
# program (the ELF tests/test-* binaries; the .sh tests start servers and
# are covered by the sanitizer build instead) under memcheck, with zero
# errors and zero definite leaks allowed.  tests/valgrind.supp silences
# only what other libraries allocate and never free (GLib's test-dir
# isolation, libsoup 3.2's per-connection sockets), never our own code.
#
# Environment: top_srcdir, top_builddir (default: this tree), VALGRIND
# (default valgrind), VALGRIND_TESTS (a space-separated subset, e.g.
# "tests/test-store"), VALGRIND_JOBS (how many at once; default the
# number of CPUs), VALGRIND_LOG_DIR (where each program's valgrind log
# goes; default tests/valgrind-logs in the build tree).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${VALGRIND:=valgrind}"
: "${VALGRIND_LOG_DIR:=$top_builddir/tests/valgrind-logs}"
export top_srcdir top_builddir VALGRIND VALGRIND_LOG_DIR
export SAFEROUTE_LOCALEDIR="$top_builddir/locale"
# GSlice off and freed memory cleared, so memcheck sees every allocation.
export G_SLICE=always-malloc G_DEBUG=gc-friendly
# Tests that repeat a race many times do fewer rounds under memcheck.
export SAFEROUTE_UNDER_VALGRIND=1

if ! command -v "$VALGRIND" >/dev/null 2>&1; then
  echo "check-valgrind: $VALGRIND not found" >&2
  exit 77
fi

# run_one PROGRAM: one test program under memcheck; writes NAME.result.log.
run_one () {
  p=$1
  name=$(basename "$p")
  log=$VALGRIND_LOG_DIR/$name.valgrind.log
  out=$VALGRIND_LOG_DIR/$name.out.log
  # Test cases that cannot run under memcheck's slowdown: a TLS handshake
  # between a client and a server in one process under valgrind can take
  # longer than the connect timeout the test pins (it then reports a
  # timeout, not the certificate error it asserts).  The ASan build runs
  # them.
  skip=""
  case $name in
    test-forward) skip="-s /forward/webhook/tls-bad-certificate" ;;
  esac
  start=$(date +%s)
  # shellcheck disable=SC2086
  (cd "$top_builddir" && "$VALGRIND" --tool=memcheck --error-exitcode=1 \
     --leak-check=full --errors-for-leak-kinds=definite \
     --show-leak-kinds=definite --num-callers=30 \
     --suppressions="$top_srcdir/tests/valgrind.supp" \
     --log-file="$log" "./$p" $skip) > "$out" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  {
    if [ "$rc" = 0 ]; then
      echo "PASS: $name (${secs}s)"
    else
      echo "FAIL: $name (exit $rc, ${secs}s; valgrind log $log, output $out)"
      grep -E '^==[0-9]+== (ERROR SUMMARY|    (definitely|indirectly) lost)' "$log" | sed 's/^/  /'
      grep -E '^not ok' "$out" | sed 's/^/  /'
    fi
  } > "$VALGRIND_LOG_DIR/$name.result.tmp.log"
  mv "$VALGRIND_LOG_DIR/$name.result.tmp.log" "$VALGRIND_LOG_DIR/$name.result.log"
}
SHELL_FOR_ONE=${SHELL_FOR_ONE:-sh}
if [ "${1:-}" = --one ]; then
  run_one "$2"
  exit 0
fi

if [ -n "${VALGRIND_TESTS:-}" ]; then
  programs=$VALGRIND_TESTS
else
  programs=""
  for f in "$top_builddir"/tests/test-*; do
    case $f in *.sh|*.c|*.o|*.log|*.trs) continue ;; esac
    [ -f "$f" ] && [ -x "$f" ] || continue
    # ELF only: a libtool wrapper or a script would put valgrind on sh.
    [ "$(head -c 4 "$f" | od -An -c | tr -d ' \n')" = "177ELF" ] || continue
    programs="$programs ${f#"$top_builddir"/}"
  done
fi
[ -n "$programs" ] || { echo "check-valgrind: no test programs built (run make check first)" >&2; exit 1; }

mkdir -p "$VALGRIND_LOG_DIR"
# Most of a unit test's time under memcheck is spent waiting on its own
# timers and servers, so the programs can run side by side: VALGRIND_JOBS
# at once (default 1: on a loaded machine some tests' timing suffers).
# Each writes NAME.result.log; the summary below reads them in order.
: "${VALGRIND_JOBS:=1}"
for p in $programs; do rm -f "$VALGRIND_LOG_DIR/$(basename "$p").result.log"; done
# shellcheck disable=SC2086
printf '%s\n' $programs | xargs -P "$VALGRIND_JOBS" -n 1 "$SHELL_FOR_ONE" "$0" --one

status=0
failed=""
for p in $programs; do
  name=$(basename "$p")
  if [ -f "$VALGRIND_LOG_DIR/$name.result.log" ]; then
    cat "$VALGRIND_LOG_DIR/$name.result.log"
  else
    echo "FAIL: $name (did not run)"
  fi
  if ! grep -q '^PASS' "$VALGRIND_LOG_DIR/$name.result.log" 2>/dev/null; then
    failed="$failed $name"
    status=1
  fi
done
if [ "$status" = 0 ]; then
  echo "check-valgrind: all programs clean"
else
  echo "check-valgrind: failed:$failed"
fi
exit $status
