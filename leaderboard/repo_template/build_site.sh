#!/usr/bin/env bash
# Build the leaderboard site from store/ (run by .github/workflows/leaderboard.yml on main).
# Usage: scripts/build_site.sh OUT   (e.g. _site)
set -euo pipefail
avbench leaderboard build --store store --out "${1:?usage: scripts/build_site.sh OUT}"
