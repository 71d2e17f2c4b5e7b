#!/bin/sh
# make fuzz: builds every libFuzzer target with clang (ASan + UBSan) and runs
# each for FUZZ_SECONDS (default 60) on a copy of its seed corpus.  New
# interesting inputs stay in the build tree's fuzz/corpus-TARGET; crashes
# are written to fuzz/crash-TARGET-* and make the run fail: copy each into
# tests/fuzz/corpus/TARGET/ as a regression input once fixed.
#   FUZZ_SECONDS=600 make fuzz            all targets, 10 minutes each
#   FUZZ_TARGETS="report conf" make fuzz  some targets
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-$(cd "$top_srcdir/tests/fuzz" && ls fuzz-*.c | sed -e 's/^fuzz-//' -e 's/\.c$//')}
out="$top_builddir/fuzz"
mkdir -p "$out"
pkgs="glib-2.0 gio-2.0 gio-unix-2.0 libsoup-3.0 libcurl sqlite3 json-glib-1.0 libsodium"
cflags="-g -O1 -fno-omit-frame-pointer -std=gnu11 -I$top_builddir -I$top_srcdir/src $(pkg-config --cflags $pkgs)"
cflags="$cflags -DG_LOG_DOMAIN=\"saferoute\" -DLOCALEDIR=\"/nonexistent\" -DSYSCONFDIR=\"/nonexistent\" -DPKGDATADIR=\"/nonexistent\""
libs="$(pkg-config --libs $pkgs)"
status=0
# Targets that reply in every language read the catalogs make built.
SAFEROUTE_LOCALEDIR="$top_builddir/locale"
export SAFEROUTE_LOCALEDIR
# The library once, instrumented for coverage but without libFuzzer's main.
mkdir -p "$out/lib"
for c in "$top_srcdir"/src/*.c; do
  o="$out/lib/$(basename "$c" .c).o"
  clang $cflags -fsanitize=fuzzer-no-link,address,undefined -c "$c" -o "$o"
done
# An archive, so each target links only the modules it uses.
rm -f "$out/libsaferoute-fuzz.a"
ar rcs "$out/libsaferoute-fuzz.a" "$out"/lib/*.o
for t in $targets; do
  echo "== fuzz-$t: building"
  clang $cflags -fsanitize=fuzzer,address,undefined \
    "$top_srcdir/tests/fuzz/fuzz-$t.c" "$out/libsaferoute-fuzz.a" $libs -o "$out/fuzz-$t"
  mkdir -p "$out/corpus-$t"
  echo "== fuzz-$t: ${seconds}s"
  if ! ASAN_OPTIONS=detect_leaks=1 "$out/fuzz-$t" -max_total_time="$seconds" \
        -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$out/crash-$t-" \
        "$out/corpus-$t" "$top_srcdir/tests/fuzz/corpus/$t" > "$out/fuzz-$t.log" 2>&1; then
    echo "== fuzz-$t: FAILED, see $out/fuzz-$t.log and $out/crash-$t-*"
    status=1
  fi
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$out/fuzz-$t.log" | sed "s/^/   fuzz-$t /" || true
done
exit $status
