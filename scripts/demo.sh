#!/usr/bin/env bash
# The one command that sets up, builds and shows tendo at work:
#   bash scripts/demo.sh
# Output goes to ./tendo-demo (or the folder given as the first argument).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/build.sh"
"$root/build/tools/tendo" demo --out "${1:-tendo-demo}"
