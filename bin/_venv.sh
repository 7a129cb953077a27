# Sourced by bin/start and bin/test: make sure .venv exists and holds what pyproject.toml asks for.
# Usage: ensure_venv [extras]   e.g. ensure_venv dev
# It also brings the browser libraries (bin/_assets.sh) into src/kartoteka/core/static/vendor/.
. "$(dirname "${BASH_SOURCE[0]}")/_assets.sh"

ensure_venv() {
  local extras="${1:-}"
  local python="${KARTOTEKA_PYTHON:-python3}"
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "Kartoteka needs Python 3.11 or newer as '$python' (set KARTOTEKA_PYTHON to another)." >&2
    exit 1
  fi
  if [ ! -x .venv/bin/python ]; then
    if ! "$python" -m venv .venv 2>/dev/null; then
      rm -rf .venv
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "Installing python3-venv…"
        apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
        "$python" -m venv .venv
      else
        echo "Python's venv module is missing: sudo apt-get install python3-venv" >&2
        exit 1
      fi
    fi
  fi
  local spec=".${extras:+[$extras]}"
  local stamp=".venv/.kartoteka-installed-$(cat pyproject.toml | sha256sum | cut -c1-16)${extras:+-$extras}"
  if [ ! -f "$stamp" ]; then
    echo "Installing Kartoteka and its dependencies into .venv…"
    .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install -q --disable-pip-version-check -e "$spec"
    touch "$stamp"
  fi
  ensure_assets
}
