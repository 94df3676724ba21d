#!/usr/bin/env bash
# Quick start: set up, then parse the bundled sample logs into typed events.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p reports
.venv/bin/novatrace parse sample_logs/ -o reports/sample_events.parquet
.venv/bin/novatrace parse sample_logs/ --unknown --top 10
