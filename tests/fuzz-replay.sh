#!/bin/sh
# Replays every fuzz corpus (seeds and kept crashers) through its target,
# built with the test suite's compiler and sanitizers.  A crash or a failed
# assertion inside a target fails this test.
. "$top_srcdir/tests/lib.sh"
targets=$(cd "$top_srcdir/tests/fuzz" && ls fuzz-*.c | sed -e 's/^fuzz-//' -e 's/\.c$//')
plan $(echo $targets | wc -w)
for t in $targets; do
  if "$top_builddir/tests/fuzz/replay-$t" "$top_srcdir/tests/fuzz/corpus/$t" > "$T/$t.out" 2>&1; then
    ok "fuzz corpus $t: $(ls "$top_srcdir/tests/fuzz/corpus/$t" | wc -l) inputs"
  else
    sed 's/^/# /' "$T/$t.out" | tail -n 20
    not_ok "fuzz corpus $t"
  fi
done
