#!/usr/bin/env bash
# Quick start: set up, parse the bundled sample logs into typed events, check their operations.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p reports
.venv/bin/novatrace parse sample_logs/ -o reports/sample_events.parquet
.venv/bin/novatrace parse sample_logs/ --unknown --top 10
# check every operation of the samples against the flows; exit status 1 means deviations found
.venv/bin/novatrace check sample_logs/ --json > reports/sample_check.json || [ $? -eq 1 ]
.venv/bin/novatrace check sample_logs/ || [ $? -eq 1 ]
.venv/bin/novatrace report sample_logs/ -o reports/timeline.html
