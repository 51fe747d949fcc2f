#!/usr/bin/env bash
# Entry point of the example Python trainer (what a custom trainer image runs).
# It honours docs/trainer-contract.md by wrapping train.py in the platform's
# trainer toolkit:
#   1. toolkit fetch   reads the run's window from Kafka, joins labels, splits,
#                      writes rows as JSON lines (or publishes FAILED and exits 65/75)
#   2. train.py        fits scikit-learn on the rows, scores the holdout, writes
#                      model.json, metrics.json and result.json
#   3. toolkit publish uploads the artifact with its manifest and publishes
#                      TrainingCompleted; its exit code is the run's
# ROUNDHOUSE_TOOLKIT names the toolkit command (in an image: node /app/dist/services/trainer/main.js).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
toolkit="${ROUNDHOUSE_TOOLKIT:-node --import tsx $here/../../services/trainer/main.ts}"
python="${PYTHON:-python3}"
work="$(mktemp -d "${TMPDIR:-/tmp}/roundhouse-train.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# shellcheck disable=SC2086 # the toolkit command is meant to split into words
$toolkit fetch --out "$work"
code=$?
# fetch has already published the FAILED result when it could not produce rows.
[ "$code" -eq 0 ] || exit "$code"

"$python" "$here/train.py" "$work"
trainer_exit=$?

# shellcheck disable=SC2086
$toolkit publish --from "$work" --trainer-exit "$trainer_exit"
exit $?
