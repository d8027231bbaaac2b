#!/usr/bin/env bash
# Idempotent environment check: system packages for headless WebGPU, then npm deps.
# Prints nothing when everything is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium: the browser test target, and its SwiftShader Vulkan ICD is what Dawn
# (Node) runs on without a GPU. mesa-vulkan-drivers: llvmpipe/lavapipe for Deno.
missing=()
if ! command -v chromium >/dev/null 2>&1 || ! dpkg -S vk_swiftshader_icd.json >/dev/null 2>&1; then
  missing+=(chromium)
fi
dpkg -s mesa-vulkan-drivers >/dev/null 2>&1 || missing+=(mesa-vulkan-drivers)
# fonts-dejavu-core: the fonts resvg draws the figures' axis labels and titles with (src/viz).
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || missing+=(fonts-dejavu-core)
# redis-server: the BullMQ backend of the scale-out tests (src/scale, docs/scale-out.md); they start
# a throwaway instance on a loopback port.
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)

if ((${#missing[@]})); then
  cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing system packages: ${missing[*]}. Run as root:" >&2
    echo "  $cmd" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: npm ci"
  # A registry mirror that lacks other platforms' optional packages (deno ships one per OS) makes
  # npm ci reject the lock file; npm install resolves the same versions and skips what is missing.
  if ! npm ci --no-audit --no-fund; then
    echo "setup: npm ci failed; retrying with npm install"
    npm install --no-audit --no-fund
  fi
fi
