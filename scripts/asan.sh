#!/usr/bin/env bash
# Every Rust test (unit, integration, ABI, hostile input) under
# AddressSanitizer + LeakSanitizer: heap/stack overflows, use after free,
# double free and leaks in the core or across the C ABI fail the run.
#   scripts/asan.sh [extra cargo test args]     e.g. scripts/asan.sh --test abi
# Needs nightly flags; RUSTC_BOOTSTRAP lets the stable toolchain take them.
# A separate target dir keeps the instrumented build apart from the normal one.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTC_BOOTSTRAP=1
export RUSTFLAGS="-Zsanitizer=address -Cforce-frame-pointers=yes"
export RUSTDOCFLAGS="$RUSTFLAGS"
export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:abort_on_error=0:halt_on_error=1"
# --target is required: it keeps the sanitizer out of build scripts and proc macros.
cargo test --target x86_64-unknown-linux-gnu --target-dir target/asan --tests "$@"
