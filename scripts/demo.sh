#!/usr/bin/env bash
# Main job on embedded defaults: install what is missing, then run a specimen dossier through
# the whole flow (counter -> storage -> OCR on a local Ray -> review -> agency download).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/sohoa demo --samples samples/examples --out out/agency "$@"
