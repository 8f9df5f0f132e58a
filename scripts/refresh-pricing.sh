#!/usr/bin/env bash
# Refreshes the built-in pricing table (rust/pricing/data/litellm_prices.jsonl)
# from the newest litellm release the package index serves, prints what
# changed (models added, removed, repriced with old -> new prices), names the
# test files that mention a changed model, then runs the Rust tests and lists
# the ones that fail by name. docs/pricing.md, "Refreshing the built-in table".
#
#   scripts/refresh-pricing.sh                  # newest release; the new table stays in the tree
#   scripts/refresh-pricing.sh --check          # the same, then the previous table is put back
#   scripts/refresh-pricing.sh --version 1.111.0
#   scripts/refresh-pricing.sh --no-tests       # diff only
#
# Exit status: 0 when the table is unchanged or every test passes with it,
# 1 when tests fail (listed), 2 on a usage or tool error. Committing a new
# table is a separate, reviewed step: bump PINNED_VERSION in
# scripts/gen_pricing.py and the figures of docs/pricing.md with it.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TABLE=rust/pricing/data/litellm_prices.jsonl
GEN=(python3 scripts/gen_pricing.py)

version="" check="" tests=1
while (($#)); do
    case $1 in
        --version) version=${2:?--version needs a value}; shift ;;
        --check) check=1 ;;
        --no-tests) tests="" ;;
        -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "refresh-pricing: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

say() { printf '\n==> %s\n' "$*"; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/refresh-pricing.XXXXXX")
cp "$TABLE" "$WORK/previous.jsonl"
cleanup() {
    if [[ -n $check ]] && ! cmp -s "$WORK/previous.jsonl" "$TABLE"; then
        cp "$WORK/previous.jsonl" "$TABLE"
        echo "refresh-pricing: --check: previous table put back" >&2
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

say "The diff logic's own tests"
"${GEN[@]}" --self-test 2>"$WORK/self-test.log" || { cat "$WORK/self-test.log" >&2; exit 2; }
echo "ok"

say "Regenerating $TABLE"
if [[ -n $version ]]; then
    "${GEN[@]}" --version "$version" | tee "$WORK/diff.txt"
else
    "${GEN[@]}" --latest | tee "$WORK/diff.txt"
fi

if cmp -s "$WORK/previous.jsonl" "$TABLE"; then
    say "The table is unchanged"
else
    say "Tests that may pin a changed price"
    "${GEN[@]}" --diff "$WORK/previous.jsonl" "$TABLE" --tests | sed -n '/^test files naming\|^no test file names/,$p'
    cat <<'EOF'
how to update them:
  tests/fixtures/pricing/golden_costs.txt: written by tests/pricing.rs, rewrite with
      GENAI_BLESS=1 cargo test --test pricing   (then review its diff by eye)
  the hand-computed costs in tests/*.rs, go-shim/e2e/*.go name their prices in the
  source: update them from the diff above. tests/realinstr and
  go-shim/e2e/realinstr_pricing.go read the table itself and need no update.
EOF
fi

[[ -n $tests ]] || exit 0

say "Rust tests with this table (cargo test --no-fail-fast --lib --tests)"
status=0
cargo test --no-fail-fast --lib --tests >"$WORK/cargo.log" 2>&1 || status=$?
# "Running tests/pricing.rs (target/...)" names the binary of the
# "test <name> ... FAILED" lines that follow it.
awk '/^ *Running /{bin = ($2 == "unittests") ? $3 : $2} /^test .* \.\.\. FAILED$/{print "  " bin ": " $2}' "$WORK/cargo.log" >"$WORK/failed.txt"
grep -E '^test result:' "$WORK/cargo.log" | awk '{p+=$4; f+=$6} END {printf "  %d passed, %d failed\n", p, f}'
if [[ $status -ne 0 ]]; then
    if [[ -s $WORK/failed.txt ]]; then
        echo "failing tests (expected values to update, or a price to check):"
        cat "$WORK/failed.txt"
    else
        echo "cargo test failed before running tests:"
        grep -E '^(error|warning: unused)' -A5 "$WORK/cargo.log" | head -40
    fi
    exit 1
fi
echo "every Rust test passes with $(sed -n 's/^# Source: \(litellm [^ ]*\).*/\1/p' "$TABLE")"
