#!/usr/bin/env bash
# Real instrumentation libraries (OpenLIT, opentelemetry-instrumentation-openai-v2, OpenInference,
# the Vercel AI SDK) through the built otelcol-genai collector: sets up the pinned venvs and the
# Node packages, then runs tests/realinstr with pytest.
#
# Usage: scripts/realinstr-test.sh [pytest args...]
# Needs build/otelcol-genai/otelcol-genai (`make collector`); without it the tests skip with
# the reason. Exits with pytest's status, except 5 (no test collected/selected), which is 0.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

scripts/setup-pyenv.sh >/dev/null
scripts/setup-node.sh >/dev/null
runner="${GENAI_PYENV_DIR:-$repo/build/pyenv}/runner/bin/python"

status=0
"$runner" -m pytest tests/realinstr -p no:cacheprovider -q -rs "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "realinstr: pytest collected no tests (exit 5), treated as success" >&2
  status=0
fi
exit "$status"
