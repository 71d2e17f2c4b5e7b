#!/bin/sh
# run-demo.sh BUILDDIR SRCDIR: what `make run` does.  Starts the demo
# partner inbox, the gateway (with its web wizard) and the kiosk in demo
# mode on one fresh state directory,
# prints where they are and how to send them a report, and stops them all
# (removing the state directory: it holds demo reports) on Ctrl-C.
set -u
builddir=$1
srcdir=$2
cd "$builddir" || exit 1
export SAFEROUTE_LOCALEDIR="$builddir/locale"
# The kiosk's CSS and script from the source tree (the gateway's web
# wizard serves them too).
export SAFEROUTE_KIOSK_ASSETS="$srcdir/kiosk/assets"
# A developer whose catalogs are incomplete: make run RUN_FLAGS=--allow-missing-translations
run_flags=${RUN_FLAGS:-}

dir=$(mktemp -d "${TMPDIR:-/tmp}/saferoute-run.XXXXXX") || exit 1
pids=""
stop () {
  trap - INT TERM EXIT
  for p in $pids; do kill "$p" 2>/dev/null; done
  for p in $pids; do wait "$p" 2>/dev/null; done
  rm -rf "$dir"
  echo "make run: stopped; removed $dir"
}
trap stop EXIT
trap 'exit 0' INT TERM

# wait_for URL NAME [PID]: poll until it answers, for up to 20 s, or
# until PID has exited.
wait_for () {
  i=0
  until curl -s -o /dev/null "$1"; do
    i=$((i + 1))
    if [ "$i" -gt 200 ] || { [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null; }; then
      echo "make run: $2 did not start (if it names a catalog: make run RUN_FLAGS=--allow-missing-translations)" >&2
      exit 1
    fi
    sleep 0.1
  done
}

partner/saferoute-inbox --demo --state-dir "$dir" --listen 127.0.0.1:8082 &
pids="$pids $!"
# The inbox makes the demo partner's keys; the gateway then reads them.
wait_for http://127.0.0.1:8082/ "the demo inbox"
gateway/saferoute-gateway --demo --state-dir "$dir" $run_flags &
gateway=$!
pids="$pids $gateway"
# The kiosk: same state directory (the demo partner's keys), its own
# queue (kiosk.db), forwarding to the same demo inbox.
kiosk/saferoute-kiosk --demo --state-dir "$dir" $run_flags >/dev/null &
kiosk=$!
pids="$pids $kiosk"

wait_for http://127.0.0.1:8081/healthz "the gateway" $gateway
wait_for http://127.0.0.1:8080/healthz "the kiosk" $kiosk

example=doc/examples/report.json
[ -f "$example" ] || example="$srcdir/doc/examples/report.json"
cat <<MSG

  saferoute demo is running (state in $dir)

  kiosk        http://127.0.0.1:8080/         (open it and send a report)
  web wizard   http://127.0.0.1:8081/report   (the same, as on a phone)
  gateway      http://127.0.0.1:8081/healthz   http://127.0.0.1:8081/metrics
  demo inbox   http://127.0.0.1:8082/         (where the reports arrive)

  Send the example report through the gateway to the demo partner:

    ctl/saferoutectl --demo --state-dir $dir enqueue $example

  (the same file again is the same report; add --fresh to send a new one),
  then see it arrive:

    partner/saferoute-inbox --demo --state-dir $dir list

  Ctrl-C stops everything.

MSG
wait
