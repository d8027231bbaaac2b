#!/bin/bash
# bundle and run a scratch script in node: run.sh file.ts label
cd /work/main
node_modules/.bin/esbuild "$1" --bundle --platform=node --format=esm --outfile=/work/main/.scratch/out-$$.mjs --loader:.wgsl=text --external:webgpu --log-level=error && node .scratch/out-$$.mjs "$2"; rm -f .scratch/out-$$.mjs
