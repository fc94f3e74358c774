#!/usr/bin/env bash
# Sets up everything the tests need on a fresh machine, then runs them:
# the venv (.venv), the Python packages, Debian's Chromium for the browser tests, Debian's
# PostgreSQL for the tuning tests (which start their own server), ruff, pytest.
# Extra arguments go to pytest, e.g. ./run_tests.sh tests/test_env.py -q
set -euo pipefail
cd "$(dirname "$0")"

source ./setup_venv.sh requirements-dev.txt

apt_install() {  # apt_install PACKAGE WHY: install a Debian package (as root, or with sudo)
  echo "Installing $1 for $2 (apt-get, about a minute)..."
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$1" >/dev/null
}
if ! command -v chromium >/dev/null 2>&1; then
  apt_install chromium "the browser tests"
fi
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && ! command -v initdb >/dev/null 2>&1; then
  apt_install postgresql "the tuning tests"
fi

# A test run must leave the checkout as it found it (screenshots are refreshed on request only).
tree_state() { git status --porcelain 2>/dev/null; git diff HEAD --binary 2>/dev/null | sha256sum; }
before=$(tree_state)

.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"

if [ "$(tree_state)" != "$before" ]; then
  echo "The tests changed files of the checkout (git status --porcelain now):"
  git status --porcelain
  exit 1
fi
