#!/usr/bin/env bash
# Verify a pull request's submissions (run by .github/workflows/leaderboard.yml; run it yourself
# the same way): every submissions/<id>.zip is verified again by `avbench submit` into a scratch
# copy of the base store, and must give exactly the pull request's store/entries/<id>/.
# Usage: scripts/verify_pr.sh BASE_REF   (e.g. origin/main)
set -euo pipefail
avbench leaderboard verify-pr --repo . --base "${1:?usage: scripts/verify_pr.sh BASE_REF}"
