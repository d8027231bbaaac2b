// The generative examples' shared report: the inversion table printed and the comparison figures
// sent to a sink (browser-safe).
import type { Sink } from '../common/sink.js';
import type { CompareResult } from './compare.js';
import type { SampleReport } from './common.js';
import { inversionFigure, samplesFigure, statisticsFigure } from './figures.js';

export function inversionTable(r: CompareResult): string {
  const lines = ['| physics | method | models | velocity rel. L2 | facies accuracy | chi | s |', '|---|---|---|---|---|---|---|'];
  for (const physics of ['tomography', 'fwi'] as const)
    for (const method of ['latent', 'tikhonov', 'tv'] as const) {
      const s = r.scores.filter((q) => q.physics === physics && q.method === method);
      if (s.length === 0) continue;
      const mean = (f: (q: (typeof s)[number]) => number): number => s.reduce((a, q) => a + f(q), 0) / s.length;
      lines.push(
        `| ${physics} | ${method} | ${s.length} | ${mean((q) => q.relativeL2).toFixed(4)} | ${mean((q) => q.faciesAccuracy).toFixed(3)} | ${mean((q) => q.chi).toFixed(2)} | ${mean((q) => q.seconds).toFixed(0)} |`,
      );
    }
  return lines.join('\n');
}

export async function priorFigures(
  sink: Sink,
  prefix: string,
  name: string,
  samples: SampleReport,
  inversions: CompareResult,
  n: number,
  dx: number,
  v: { vShale: number; vSand: number },
): Promise<void> {
  await sink.figure(`${prefix}-samples`, samplesFigure(samples, n, dx, `${name}: models decoded from z ~ N(0, I)`));
  await sink.figure(`${prefix}-statistics`, statisticsFigure(samples, dx, `${name}: generated vs training statistics`));
  for (const f of inversions.fields)
    await sink.figure(`${prefix}-inversion-${f.physics}`, inversionFigure(f, inversions.scores, v.vShale, v.vSand));
}
