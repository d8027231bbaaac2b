#!/usr/bin/env bash
# Full check: setup, build, typecheck, then the test suite on Node (Dawn),
# Deno (wgpu) and headless Chromium. Runs every stage, fails if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."

failed=()
stage() {
  local name=$1; shift
  echo
  echo "==== $name: $* ===="
  local start=$SECONDS
  if "$@"; then
    echo "==== $name: ok ($((SECONDS - start)) s) ===="
  else
    echo "==== $name: FAILED ($((SECONDS - start)) s) ===="
    failed+=("$name")
  fi
}

bash scripts/setup.sh
# Deno (and Dawn's Vulkan loader) complain when XDG_RUNTIME_DIR is unset.
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}

stage build node scripts/build.mjs --tests
stage typecheck node_modules/.bin/tsc --noEmit -p .
stage node node_modules/.bin/vitest run
stage deno node_modules/.bin/deno run -A test/portable/deno.mjs
stage chromium node test/portable/chromium.mjs

echo
if ((${#failed[@]})); then
  echo "FAILED stages: ${failed[*]}"
  exit 1
fi
echo "all stages passed"
