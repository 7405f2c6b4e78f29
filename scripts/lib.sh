# Shared by scripts/run.sh and scripts/test.sh: the Debian packages, the virtualenv, the pip packages.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
PY=$VENV/bin/python

# WeasyPrint's libraries, a Times-metric serif with every Vietnamese glyph (Liberation 2: version 1 lacks ể, ự, ố…),
# and gettext for the catalogue.
# poppler-utils' pdfunite joins the parts of a long report.
APT_RUNTIME="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation2 fonts-dejavu-core gettext poppler-utils"
# The browser tests drive Debian's chromium; pdftoppm / pdftotext look at the PDFs.
APT_TEST="chromium softhsm2"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# ensure_debian_packages MODE PACKAGE...  (MODE: required | optional)
ensure_debian_packages() {
  local mode=$1; shift
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    say "Installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "These Debian packages are missing; install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    [ "$mode" = optional ] || exit 1
  fi
}

ensure_python() {
  if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "ISO Tracker needs Python 3.11 or newer as python3." >&2
    exit 1
  fi
}

# ensure_virtualenv REQUIREMENTS_FILE: create .venv and install the pinned packages when they changed.
ensure_virtualenv() {
  local requirements=$1
  ensure_python
  if [ ! -x "$PY" ]; then
    say "Creating the virtualenv in $VENV"
    python3 -m venv "$VENV" || {
      echo "python3 -m venv failed; on Debian install it with: sudo apt-get install -y python3-venv" >&2
      exit 1
    }
  fi
  local stamp
  stamp="$VENV/.installed-$(cat "$ROOT/requirements.txt" "$ROOT/$requirements" | sha256sum | cut -c1-16)-$(basename "$requirements")"
  if [ ! -f "$stamp" ]; then
    say "Installing Python packages from $requirements"
    "$PY" -m pip install --quiet --upgrade pip
    "$PY" -m pip install --quiet -r "$ROOT/$requirements"
    touch "$stamp"
  fi
}
