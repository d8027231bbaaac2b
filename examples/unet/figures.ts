// The U-Net example's figures as Vega-Lite specs (browser-safe: the CLI renders them, the app embeds them).
import { fieldSpec, lineSpec, row, type VegaLiteSpec } from '../../src/viz/index.js';
import type { UNetExampleResult } from './run.js';

export function unetFigures(r: UNetExampleResult, width = 200): { training: VegaLiteSpec; prediction: VegaLiteSpec } {
  const f = r.final;
  const epochs = r.trainLoss.map((_, i) => i + 1);
  const training = row([
    lineSpec([{ name: 'train MSE (normalized)', x: epochs, y: r.trainLoss }], {
      title: 'Training loss',
      xTitle: 'epoch',
      yTitle: 'MSE',
      logY: true,
    }),
    lineSpec(
      [
        { name: 'U-Net', x: epochs, y: r.valRelL2 },
        { name: 'scaled RTM', x: epochs, y: epochs.map(() => f.baselineRelL2) },
      ],
      { title: 'Validation', xTitle: 'epoch', yTitle: 'relative L2 error of dv', logY: true },
    ),
  ]);
  const lim = Math.max(...r.example.target.values.map(Math.abs));
  const panel = (fd: { values: Float32Array; shape: [number, number] }, title: string, units: string, scaled = true) =>
    fieldSpec(fd.values, fd.shape, {
      title,
      units,
      dz: r.dx,
      dx: r.dx,
      cmap: 'rdbu',
      width,
      ...(scaled ? { vmin: -lim, vmax: lim } : {}),
    });
  const prediction = row(
    [
      panel(r.example.input, 'RTM image (input)', 'J^T J dv / rms', false),
      panel(r.example.target, 'true dv', 'm/s'),
      panel(r.example.prediction, 'U-Net dv', 'm/s'),
      panel(r.example.baseline, 'scaled RTM', 'm/s'),
    ],
    `Validation sample: U-Net relative L2 ${f.valRelL2.toFixed(3)} (SSIM ${f.valSsim.toFixed(2)}) over the set; scaled RTM ${f.baselineRelL2.toFixed(3)} (SSIM ${f.baselineSsim.toFixed(2)})`,
  );

  return { training, prediction };
}
