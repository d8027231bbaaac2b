#!/usr/bin/env bash
# Full check: setup, build, lint (ESLint: layers, cycles, typed rules), format (Prettier), typecheck,
# then the test suite, with vitest, on Node (Dawn), Deno (wgpu) and headless Chromium (see
# docs/testing.md). Runs every stage, fails if any failed. Tests use fixed seeds;
# TELLUS_TEST_SEED=<n> or =random explores others (test/helpers.ts).
set -euo pipefail
cd "$(dirname "$0")/.."

failed=()
logs=$(mktemp -d)
stage() {
  local name=$1; shift
  echo
  echo "==== $name: $* ===="
  local start=$SECONDS
  # Each stage's output is also kept, so the failures can be restated at the very end (CI shows
  # only the tail of a long run).
  if "$@" 2>&1 | tee "$logs/$name.log"; then
    echo "==== $name: ok ($((SECONDS - start)) s) ===="
  else
    echo "==== $name: FAILED ($((SECONDS - start)) s) ===="
    failed+=("$name")
  fi
}

bash scripts/setup.sh
# Deno (and Dawn's Vulkan loader) complain when XDG_RUNTIME_DIR is unset.
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}

# The shipped bundle, dist/tellus.js (the suite itself runs the TypeScript sources).
stage build node scripts/build.mjs
stage lint node_modules/.bin/eslint --max-warnings 0 src test bench examples app
stage format node_modules/.bin/prettier --check .
stage typecheck node_modules/.bin/tsc --noEmit -p .
stage node node_modules/.bin/vitest run
# Deno: vitest itself runs under Deno, so its workers are Deno processes with Deno's navigator.gpu.
stage deno node_modules/.bin/deno run -A node_modules/vitest/vitest.mjs run
# Chromium: vitest's browser mode, Playwright driving the system chromium (no browser download).
stage chromium node_modules/.bin/vitest run --config vitest.chromium.config.ts
# The bundle loads and computes in Deno (a smoke test; the suite covers the sources).
stage dist node_modules/.bin/deno run -A scripts/smoke-dist.mjs

echo
if ((${#failed[@]})); then
  for name in "${failed[@]}"; do
    # vitest marks a failing test '   × name' (then ' FAIL  file > name' with the error) and a stray
    # error '⎯⎯ Unhandled Rejection ⎯⎯'; the smoke test prints '✗ ...'.
    echo "---- $name: failing tests and errors, then the stage's last lines ----"
    sed 's/\x1b\[[0-9;]*m//g' "$logs/$name.log" | grep -E -A8 '^(✗|\s*× | FAIL |⎯+ Unhandled (Rejection|Error) )' | head -120 || true
    # A crashed worker ('Worker exited unexpectedly') reports no file: name the files with no result.
    if grep -q 'exited unexpectedly' "$logs/$name.log"; then
      for f in test/*.test.ts; do
        grep -q -- "$f" "$logs/$name.log" || echo "  no result from $f (its worker may have crashed)"
      done
    fi
    echo "  ..."
    tail -n 15 "$logs/$name.log"
  done
  echo "FAILED stages: ${failed[*]}"
  exit 1
fi
echo "all stages passed"
