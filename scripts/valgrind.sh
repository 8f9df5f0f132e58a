#!/usr/bin/env bash
# The C ABI and hostile-token tests under valgrind memcheck (a second
# opinion next to scripts/asan.sh, on the normal, uninstrumented build):
# invalid reads/writes, uninitialised values and definite leaks fail it.
#   scripts/valgrind.sh [test-target...]    default: abi hostile_tokens
# Needs valgrind (Debian: apt-get install valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(abi hostile_tokens)
for t in "${targets[@]}"; do
  exe=$(cargo test --no-run --message-format=json --test "$t" 2>/dev/null |
        python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("executable") and m["target"]["kind"]==["test"]: print(m["executable"])' | tail -n 1)
  echo "==> valgrind: $t"
  valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
    "$exe" --test-threads=2 -q
done
