#!/usr/bin/env bash
# Refresh the Vietnamese catalogue from the source and compile it.
#   bash scripts/messages.sh          update locale/vi/LC_MESSAGES/django.po and .mo
#   bash scripts/messages.sh --check  fail if the catalogue lacks a string of the source or a translation
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
PO=locale/vi/LC_MESSAGES/django.po
export DEBUG=true
before=$(mktemp)
cp "$PO" "$before"
"$PY" manage.py makemessages -l vi --no-location --no-obsolete --ignore=.venv --ignore=var --ignore=bench -v0
if [ "${1:-}" = "--check" ]; then
  if ! diff -q -I 'POT-Creation-Date' "$before" "$PO" >/dev/null; then
    diff -I 'POT-Creation-Date' "$before" "$PO" | head -40 >&2 || true
    cp "$before" "$PO"
    echo "The Vietnamese catalogue is out of date: run bash scripts/messages.sh, translate, and commit." >&2
    exit 1
  fi
  cp "$before" "$PO"
fi
rm -f "$before"
stats=$(msgfmt --check --statistics -o /dev/null "$PO" 2>&1)
echo "vi: $stats"
case "$stats" in *untranslated*|*fuzzy*) echo "Every string needs a Vietnamese translation." >&2; exit 1 ;; esac
"$PY" manage.py compilemessages -l vi --ignore=.venv -v0
