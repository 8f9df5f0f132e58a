#!/usr/bin/env bash
# Node packages for the real-instrumentation tests' Node apps (tests/realinstr/node/: the
# Vercel AI SDK with the OpenTelemetry JS SDK), installed with `npm ci` from the committed
# package-lock.json into tests/realinstr/node/node_modules (not committed).
#
# Usage: scripts/setup-node.sh
# Needs Node >= 20 and npm. Idempotent: node_modules whose stamp matches package-lock.json and
# the Node version is left alone (well under a second). Prints the node_modules directory on
# stdout; progress goes to stderr.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$repo/tests/realinstr/node"
node="${GENAI_NODE:-node}"

if ! command -v "$node" >/dev/null || ! command -v npm >/dev/null; then
  echo "setup-node: need node (>= 20) and npm on PATH" >&2
  exit 1
fi
nodever="$("$node" --version)"
case "$nodever" in
  v[2-9][0-9].*) ;;
  *) echo "setup-node: need Node >= 20, $node is $nodever" >&2; exit 1 ;;
esac

stamp="$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -c1-16)-node$nodever"
if [ -f "$dir/node_modules/.stamp" ] && [ "$(cat "$dir/node_modules/.stamp")" = "$stamp" ]; then
  echo "$dir/node_modules"
  exit 0
fi
echo "setup-node: npm ci in $dir" >&2
rm -f "$dir/node_modules/.stamp"
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
echo "$stamp" > "$dir/node_modules/.stamp"
echo "$dir/node_modules"
