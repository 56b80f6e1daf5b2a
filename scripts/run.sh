#!/usr/bin/env bash
# Command 1 of the README: install everything and run Agora (web + worker).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh embedded
exec .venv/bin/python scripts/launch.py
