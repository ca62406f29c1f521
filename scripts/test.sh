#!/usr/bin/env bash
# Install what is missing, then the lint and type checks, then the whole test suite (unit, real OCR,
# services). Any failing step fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
exec .venv/bin/python -m pytest -n 2 --dist loadgroup -q "$@"
