#!/usr/bin/env bash
# Install what is missing, then the lint and type checks, then the whole test suite (unit, real OCR,
# services). Any failing step fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
# --dist loadfile: each test file runs on one worker, so a module's fixtures (a Ray cluster, a
# server) start once. (`loadgroup` would serialise the `xdist_group` marks, but pytest-xdist 3.8
# cannot rename pytest 9's node ids, so its groups are silently ignored.)
exec .venv/bin/python -m pytest -n 2 --dist loadfile -q "$@"
