#!/usr/bin/env bash
# Installs everything Số Hóa needs on a fresh Debian 12 machine, idempotently:
# Debian packages (Tesseract + Vietnamese data, fonts) and a virtual environment in .venv
# with the pinned Python stack. Safe to run again; it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(tesseract-ocr tesseract-ocr-vie tesseract-ocr-script-viet fonts-liberation2 fonts-dejavu-core
              fonts-noto-core fonts-ocr-b)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# The tests start a real PostgreSQL server on loopback (loopback/pgserver.py).
if [ "${1:-}" = "--test" ] && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  missing+=(postgresql)
fi
# The screen tests drive Debian's Chromium through Playwright (never `playwright install`).
if [ "${1:-}" = "--test" ] && [ ! -x /usr/lib/chromium/chromium ]; then
  missing+=(chromium)
fi
# The signing tests hold a key in a real PKCS#11 token (SoftHSM), as production holds it in an HSM.
if [ "${1:-}" = "--test" ] && [ ! -e /usr/lib/softhsm/libsofthsm2.so ]; then
  missing+=(softhsm2)
fi
if ((${#missing[@]})); then
  echo "[install] apt: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "[install] creating .venv" >&2
  "$PY" -m venv .venv
fi
stamp=.venv/.sohoa-installed
want=$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[install] python packages (requirements.lock)" >&2
  # uv is much faster; plain pip gives the same result.
  if .venv/bin/python -m pip install -q uv==0.13.8 2>/dev/null; then
    .venv/bin/python -m uv pip install -q --python .venv/bin/python --no-deps -r requirements.lock
    .venv/bin/python -m uv pip install -q --python .venv/bin/python --no-deps -e .
  else
    .venv/bin/python -m pip install -q --no-deps -r requirements.lock
    .venv/bin/python -m pip install -q --no-deps -e .
  fi
  echo "$want" > "$stamp"
fi
