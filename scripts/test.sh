#!/usr/bin/env bash
# Install what is missing, then run the whole test suite (unit, real OCR, services).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
exec .venv/bin/python -m pytest -n 2 --dist loadgroup -q "$@"
