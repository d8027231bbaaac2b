#!/usr/bin/env bash
# Packs what the benchmarks need on a lent GPU machine that has an NVIDIA driver but no Node, no
# npm and no network (docs/gpu.md, ../shared/notes/gpu-device.md) into .gpu/ (git-ignored, < 64 MiB):
# this Node binary and Dawn's addon (xz), the webgpu package's JS, jax-js (the peer), the benchmark
# bundle, the Vulkan loader's .deb in case the machine lacks it, and run.sh, which runs it all there.
#   bash scripts/gpu-pack.sh            # pack
#   BENCH_FILTER=acoustic2d OUT=/tmp/g bash .gpu/run.sh   # here, on SwiftShader: proves the pack is complete
set -euo pipefail
cd "$(dirname "$0")/.."
out=.gpu
rm -rf "$out"
mkdir -p "$out/pkg/node_modules/webgpu/dist/linux-x64"
node bench/build.mjs node >/dev/null
cp dist/bench/node.js "$out/pkg/bench.mjs"
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$out/pkg/node_modules/webgpu/"
mkdir -p "$out/pkg/node_modules/@jax-js"
cp -r node_modules/@jax-js/jax "$out/pkg/node_modules/@jax-js/"
xz -T2 -6 -c "$(command -v node)" >"$out/node.xz"
xz -T2 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node >"$out/dawn.node.xz"
# The Vulkan loader, unpacked there only if ldconfig does not know libvulkan.so.1.
(cd "$out" && apt-get download libvulkan1 >/dev/null 2>&1) || echo "gpu-pack: could not download libvulkan1 (the target must have the Vulkan loader)"
cp scripts/gpu-run.sh "$out/run.sh"
du -sh "$out"
echo "packed $out: carry it to the device and run 'bash .gpu/run.sh' (results in \$OUT)"
