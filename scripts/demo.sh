#!/usr/bin/env bash
# Main job on embedded defaults: install what is missing, then read the committed
# sample dossier pages and PDFs and print their kinds and fields.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
mkdir -p out
shopt -s nullglob
inputs=(samples/examples/*.png samples/examples/*.jpg samples/examples/*.tif samples/examples/*.pdf)
status=0
.venv/bin/sohoa process "${inputs[@]}" --out out/demo.json || status=$?
.venv/bin/python -m api.summary out/demo.json
echo "Full JSON: out/demo.json" >&2
exit "$status"
