#!/usr/bin/env bash
# Runs on the lent GPU machine (packed by scripts/gpu-pack.sh as .gpu/run.sh): unpacks Node and Dawn,
# points Vulkan at the NVIDIA driver, prints the adapter, runs the benchmarks (side by side with
# jax-js) and writes gpu.json and gpu.md to $OUT. BENCH_FILTER narrows the cases.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
cp -r "$here/pkg/." "$work/"
xz -dc "$here/node.xz" >"$work/node" && chmod +x "$work/node"
xz -dc "$here/dawn.node.xz" >"$work/node_modules/webgpu/dist/linux-x64/dawn.node"
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; then
  for deb in "$here"/*.deb; do [ -e "$deb" ] && dpkg -x "$deb" "$work/vulkan"; done
  export LD_LIBRARY_PATH="$work/vulkan/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
fi
if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -e /dev/nvidia0 ]; then
  for icd in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json; do
    if [ -e "$icd" ]; then export VK_ICD_FILENAMES=$icd; break; fi
  done
fi
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$work}
echo "node $("$work/node" --version), VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-unset}"
cd "$work"
BENCH_OUT=${OUT:-$work/out} BENCH_NAME=${BENCH_NAME:-gpu} timeout "${BENCH_TIMEOUT:-480}" "$work/node" --expose-gc bench.mjs
