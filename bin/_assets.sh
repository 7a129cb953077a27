# Sourced by bin/_venv.sh: third-party browser code from npm (docs/dev/frontend.md, "How
# third-party browser code is installed", steps 2 and 3).
# ensure_assets: install Node from Debian if missing, `npm ci --ignore-scripts` when
# package-lock.json changed, then copy ONLY the files listed in VENDOR_FILES into the git-ignored
# src/kartoteka/core/static/vendor/, which collectstatic collects like our own files.

# "package/path/in/node_modules  name served under static/vendor/" — nothing else is copied.
VENDOR_FILES=(
  "tom-select/dist/js/tom-select.complete.min.js tom-select/tom-select.complete.min.js"
  "tom-select/dist/css/tom-select.min.css tom-select/tom-select.min.css"
  "tom-select/LICENSE tom-select/LICENSE"
  "@event-calendar/build/dist/event-calendar.min.js event-calendar/event-calendar.min.js"
  "@event-calendar/build/dist/event-calendar.min.css event-calendar/event-calendar.min.css"
  "@event-calendar/build/package.json event-calendar/package.json"
)
VENDOR_DIR="src/kartoteka/core/static/vendor"

ensure_assets() {
  if ! command -v npm >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "Installing Node.js and npm (Debian) for the browser libraries…"
      apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
    else
      echo "npm is missing: sudo apt-get install nodejs npm" >&2
      exit 1
    fi
  fi
  local stamp="node_modules/.kartoteka-ci-$(cat package-lock.json bin/_assets.sh | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "Installing the browser libraries (npm ci)…"
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
    rm -rf "$VENDOR_DIR"
    touch "$stamp"
  fi
  local entry source target
  for entry in "${VENDOR_FILES[@]}"; do
    source="node_modules/${entry%% *}"
    target="$VENDOR_DIR/${entry##* }"
    if [ ! -f "$target" ] || [ "$source" -nt "$target" ]; then
      mkdir -p "$(dirname "$target")"
      # The source-map comment names a file we do not serve: drop it.
      sed -e '/^\/[/*]# sourceMappingURL=/d' "$source" >"$target"
    fi
  done
}
