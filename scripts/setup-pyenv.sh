#!/usr/bin/env bash
# Python virtual environments for the real-instrumentation tests (tests/realinstr/).
#
# One venv per library under test, so each library gets the dependency versions it
# resolves to on its own (OpenLIT 1.33 needs openai<2, OpenLIT 1.45 openai<3, ...):
#   openlit-1.45.0        openlit 1.45.0 (+ openai, anthropic, OTel SDK/OTLP exporters)
#   openlit-1.33.23       openlit 1.33.23, from before the gen_ai.system -> gen_ai.provider.name rename
#   otel-openai-v2-2.4b0  opentelemetry-instrumentation-openai-v2 2.4b0 + OTel SDK/OTLP exporter
#   otel-openai-v2-2.1b0  the same instrumentation's older 2.1b0 (gen_ai.system era)
#   openinference-0.1.66  openinference-instrumentation-openai 0.1.66 + OTel SDK/OTLP exporter (traces only)
#   litellm-1.110.2       litellm 1.110.2 (its "otel" callback) + OTel SDK/OTLP exporter
#   openllmetry-0.62.4    traceloop-sdk 0.62.4 (OpenLLMetry: its openai/anthropic instrumentations
#                         and every other one it depends on; milvus and pinecone at 0.60.0, whose
#                         0.62.x need an opentelemetry-semantic-conventions-ai the index lacks)
#   runner                pytest + opentelemetry-proto (the test and the OTLP capture sink)
# Each is installed from tests/realinstr/requirements/<name>.txt, a full `pip freeze` of a
# working resolution, with --no-deps: exactly those versions, no resolver surprises.
#
# Usage: scripts/setup-pyenv.sh [NAME...]   (default: all)
# Venvs live in $GENAI_PYENV_DIR (default: build/pyenv). Idempotent: a venv whose stamp
# matches its requirements file and interpreter is left alone (well under a second).
# Prints the venv directory of each NAME on stdout; progress goes to stderr.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
req_dir="$repo/tests/realinstr/requirements"
root="${GENAI_PYENV_DIR:-$repo/build/pyenv}"
python="${PYTHON:-python3}"

if [ "$#" -eq 0 ]; then
  set -- openlit-1.45.0 openlit-1.33.23 otel-openai-v2-2.4b0 otel-openai-v2-2.1b0 openinference-0.1.66 litellm-1.110.2 openllmetry-0.62.4 runner
fi

pyver="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
case "$pyver" in
  3.9.*|3.1[0-9].*) ;;
  *) echo "setup-pyenv: need Python >= 3.9, $python is $pyver" >&2; exit 1 ;;
esac

mkdir -p "$root"
for name in "$@"; do
  req="$req_dir/$name.txt"
  if [ ! -f "$req" ]; then
    echo "setup-pyenv: no requirements file $req" >&2
    exit 1
  fi
  dir="$root/$name"
  stamp="$(cat "$req" | sha256sum | cut -c1-16)-py$pyver"
  if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ] && [ -x "$dir/bin/python" ]; then
    echo "$dir"
    continue
  fi
  echo "setup-pyenv: creating $dir" >&2
  rm -rf "$dir"
  "$python" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$req" >&2
  "$dir/bin/python" -m pip check >&2
  # what really installed, for the record (docs/instrumentation.md lists the key versions)
  "$dir/bin/python" -m pip freeze > "$dir/installed.txt"
  echo "$stamp" > "$dir/.stamp"
  echo "$dir"
done
