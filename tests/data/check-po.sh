#!/bin/sh
# tests/data/check-po.sh — fail unless every translation is complete.
# Copyright 2026 The Precinct authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: check-po.sh SRCDIR
#
# For every language in po/LINGUAS, checks that:
#   - po/POTFILES.in lists exactly the files that hold translatable strings
#     (as found by po/update-potfiles.sh);
#   - the .po file compiles with msgfmt --check;
#   - it has no untranslated and no fuzzy message;
#   - every message of a template freshly extracted from the sources has a
#     translation in it (msgcmp), so strings added since the last
#     `meson compile precinct-update-po` are caught too.

set -u

srcdir=${1:?usage: check-po.sh SRCDIR}
srcdir=$(cd "$srcdir" && pwd)
podir=$srcdir/po

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

status=0
fail ()
{
  printf 'FAIL: %s\n' "$*"
  status=1
}

# The file list the template is extracted from.
if ! sh "$podir/update-potfiles.sh" --list > "$tmp/files"; then
  echo "po/update-potfiles.sh --list failed"
  exit 1
fi
grep -v -e '^#' -e '^[[:space:]]*$' "$podir/POTFILES.in" > "$tmp/listed"
if ! diff -u "$tmp/listed" "$tmp/files" > "$tmp/files.diff"; then
  fail "po/POTFILES.in is out of date (run po/update-potfiles.sh):"
  sed -n '3,$p' "$tmp/files.diff"
fi

# Same keywords as the 'glib' preset of Meson's i18n.gettext().
if ! (cd "$srcdir" && xgettext \
        --from-code=UTF-8 \
        --keyword=_ --keyword=N_ \
        --keyword=C_:1c,2 --keyword=NC_:1c,2 \
        --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 \
        --keyword=g_dpgettext2:2c,3 \
        --files-from="$tmp/files" \
        --output="$tmp/fresh.pot" 2> "$tmp/xgettext.log"); then
  cat "$tmp/xgettext.log"
  echo "xgettext failed"
  exit 1
fi
if [ ! -f "$tmp/fresh.pot" ]; then
  # xgettext writes nothing when there are no strings at all.
  printf 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n' > "$tmp/fresh.pot"
fi
echo "$(grep -c '^msgid ' "$tmp/fresh.pot") messages in the sources (including the header)"

for lang in $(grep -v '^#' "$podir/LINGUAS"); do
  po=$podir/$lang.po

  if [ ! -f "$po" ]; then
    fail "$lang is listed in po/LINGUAS but po/$lang.po does not exist"
    continue
  fi

  if ! stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$po" 2>&1); then
    printf '%s\n' "$stats"
    fail "po/$lang.po does not compile"
    continue
  fi
  echo "po/$lang.po: $stats"

  case "$stats" in
    *untranslated*|*fuzzy*)
      fail "po/$lang.po has untranslated or fuzzy messages:"
      msgattrib --untranslated --no-obsolete --no-location "$po" | sed '1,/^$/d'
      msgattrib --only-fuzzy --no-obsolete --no-location "$po" | sed '1,/^$/d'
      ;;
    *)
      ;;
  esac

  # msgcmp reports each message of the template that has no translation.
  if ! LC_ALL=C msgcmp --no-fuzzy-matching "$po" "$tmp/fresh.pot" > "$tmp/msgcmp.log" 2>&1; then
    fail "po/$lang.po lacks translations of messages in the sources (run po/update-potfiles.sh and 'meson compile precinct-update-po', then translate them):"
    msgmerge --quiet --no-fuzzy-matching -o "$tmp/merged.po" "$po" "$tmp/fresh.pot"
    msgattrib --untranslated --no-obsolete "$tmp/merged.po" | sed '1,/^$/d'
  fi
done

exit $status
