#!/bin/sh
# po-check: every catalog translates every string of the current sources,
# with nothing fuzzy and a real Plural-Forms header (L10N.md).  Each
# po/LL.po is merged with a template made now from po/POTFILES.in, so a
# new string in the code counts as untranslated until a translator has
# seen it, even before anyone runs `make update-po`.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
need xgettext msgmerge msgfmt

langs=$(sed -e 's/#.*//' "$top_srcdir/po/LINGUAS")
plan $(echo $langs | wc -w)

(cd "$top_srcdir" && sed -e 's/#.*//' -e '/^ *$/d' po/POTFILES.in > "$T/files")
(cd "$top_srcdir" && xgettext --default-domain=saferoute --directory=. \
   --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=C_:1c,2 \
   --keyword=NC_:1c,2 --keyword=ngettext:1,2 --add-comments=TRANSLATORS: \
   --files-from="$T/files" -o "$T/saferoute.pot") 2>"$T/xgettext.err" \
  || { cat "$T/xgettext.err"; bail "xgettext failed"; }
test -f "$T/saferoute.pot" || bail "no strings found"

for l in $langs; do
  po="$top_srcdir/po/$l.po"
  if ! msgmerge --quiet --no-fuzzy-matching -o "$T/$l.po" "$po" "$T/saferoute.pot" 2>"$T/$l.err"; then
    not_ok "$l: msgmerge failed: $(cat "$T/$l.err")"
    continue
  fi
  stats=$(LC_ALL=C msgfmt -c --statistics -o /dev/null "$T/$l.po" 2>&1)
  # One result per language: under XFAIL_TESTS a passing language then
  # shows as XPASS, which says it is time to drop the XFAIL line.
  if grep -qE 'nplurals=INTEGER|plural=EXPRESSION' "$po"; then
    not_ok "$l: Plural-Forms header still a template"
  else
    case "$stats" in
      *untranslated*|*fuzzy*|*error*) not_ok "$l: $stats";;
      *) ok "$l: $stats";;
    esac
  fi
done
