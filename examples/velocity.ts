// A first Tellus script: build a random 2-D velocity model on the GPU (a depth gradient plus smooth
// random perturbations and a high-velocity lens), smooth it with a few kernels, print statistics and
// timings, and draw the model and the vertical travel times (examples/output/velocity.png, .svg).
//   node scripts/run.mjs examples/velocity.ts
import * as tl from '../src/index.js';
import { fieldSpec, lineSpec, row } from '../src/viz/index.js';
import { saveFigure } from '../src/viz/render-node.js';

const NZ = 256;
const NX = 384;

/** One pass of a 3x3 box filter: edge-padded copy, nine shifted views, summed. */
function smooth(v: tl.Tensor): tl.Tensor {
  return tl.tidy(() => {
    const p = v.pad(
      [
        [1, 1],
        [1, 1],
      ],
      { mode: 'edge' },
    );
    let acc: tl.Tensor | null = null;
    for (let dz = 0; dz < 3; dz++) {
      for (let dx = 0; dx < 3; dx++) {
        const shifted = p.slice([
          [dz, dz + NZ],
          [dx, dx + NX],
        ]);
        acc = acc ? acc.add(shifted) : shifted;
      }
    }
    return acc!.div(9);
  });
}

async function stats(name: string, v: tl.Tensor): Promise<void> {
  const [mn, mx, mean] = await Promise.all([v.min().item(), v.max().item(), v.mean().item()]);
  const std = Math.sqrt(await tl.tidy(() => v.sub(mean).square().mean()).item());
  console.log(`${name.padEnd(22)} min ${mn.toFixed(1)}  max ${mx.toFixed(1)}  mean ${mean.toFixed(1)}  std ${std.toFixed(1)} m/s`);
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const info = await tl.init();
  console.log(`Tellus on ${info.runtime}: ${info.description}${info.isSoftware ? ' (software adapter)' : ''}`);
  console.log(
    `features: ${info.features.filter((f) => ['timestamp-query', 'shader-f16', 'subgroups'].includes(f)).join(', ') || 'none of timestamp-query, shader-f16, subgroups'}`,
  );
  const tInit = performance.now();

  // Background: 1500 m/s at the surface increasing 0.6 s^-1 with depth (dz = 10 m).
  const depth = tl.arange(NZ).mul(10).reshape([NZ, 1]);
  const background = depth.mul(0.6).add(1500).expand([NZ, NX]);
  // Random perturbation, smoothed repeatedly to a correlation length of a few cells.
  let noise = tl.randn([NZ, NX], { seed: 42, std: 400 });
  for (let i = 0; i < 8; i++) {
    const next = smooth(noise);
    noise.dispose();
    noise = next;
  }
  // A fast elliptical lens at (z, x) = (150, 200) cells.
  const z = tl.arange(NZ).reshape([NZ, 1]).sub(150).div(25);
  const x = tl.arange(NX).reshape([1, NX]).sub(200).div(60);
  const inside = z.square().add(x.square()).lt(1);
  const model = tl.where(inside, 4200, background.add(noise));
  await stats('velocity model', model);

  const tSmooth = performance.now();
  let smoothed = model;
  for (let i = 0; i < 20; i++) {
    const next = smooth(smoothed);
    if (smoothed !== model) smoothed.dispose();
    smoothed = next;
  }
  await stats('smoothed (20 passes)', smoothed);
  const tDone = performance.now();

  // Column-wise slowness sums ~ vertical one-way travel times, a matmul-free reduction example.
  const traveltime = tl.tidy(() => smoothed.reciprocal().mul(10).sum(0));
  const tt = await traveltime.data();
  console.log(`vertical travel time  min ${Math.min(...tt).toFixed(4)} s  max ${Math.max(...tt).toFixed(4)} s  (${NX} columns)`);
  console.log(`argmax of velocity at flat index ${await model.argmax().item()} (inside the lens: ${(await inside.sum().item()) > 0})`);

  const DZ = 10; // m, as in the background's gradient
  const [modelHost, smoothHost] = await Promise.all([model.data(), smoothed.data()]);
  const panel = (values: ArrayLike<number>, title: string) =>
    fieldSpec(values, [NZ, NX], { title, units: 'v (m/s)', dz: DZ, dx: DZ, width: 300 });
  const xs = Array.from({ length: NX }, (_, i) => (i * DZ) / 1000);
  const { mkdirSync } = await import('node:fs');
  mkdirSync('examples/output', { recursive: true });
  const [, png] = await saveFigure(
    row([
      panel(modelHost, 'Velocity model'),
      panel(smoothHost, 'Smoothed (20 passes)'),
      lineSpec([{ name: 'travel time', x: xs, y: Array.from(tt) }], {
        title: 'Vertical travel time',
        xTitle: 'x (km)',
        yTitle: 'time (s)',
        width: 260,
      }),
    ]),
    'examples/output/velocity',
  );
  console.log(`wrote ${png} and .svg`);

  const m = tl.memory();
  console.log(
    `\ntimings: init ${(tInit - t0).toFixed(0)} ms, model ${(tSmooth - tInit).toFixed(0)} ms, 20 smoothing passes ${(tDone - tSmooth).toFixed(0)} ms`,
  );
  console.log(
    `scheduler: ${m.dispatches} dispatches in ${m.flushes} submits, ${m.pipelines} pipelines; buffers allocated ${m.allocations}, reused ${m.reuses}; peak ${(m.peakBytes / 2 ** 20).toFixed(1)} MiB`,
  );
  tl.destroy();
}

await main();
