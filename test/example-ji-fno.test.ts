// @node-only: the JI-FNO example (examples/ji-fno) end to end at the 'tiny' preset, into a
// temporary directory: models, eigs, data (then again, which must redo nothing), train, invert;
// checks the JSON numbers, the stored networks and the figures (PNG and SVG).
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { saveFigure } from '../src/viz/render-node.js';
import { PRESETS, dataStage, eigsStage, invertStage, modelsStage, trainStage, type Sink } from '../examples/ji-fno/pipeline.js';
import { DirStore } from '../examples/fno-wave/store-node.js';
import { useDevice } from './helpers.js';

describe('examples/ji-fno', () => {
  useDevice();

  it('runs every stage at the tiny preset; a second data stage resumes with nothing to do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ji-fno-'));
    try {
      const out = new DirStore(dir);
      const data = new DirStore(join(dir, 'data'));
      const logs: string[] = [];
      const progress = new Set<string>();
      const sink: Sink = {
        log: (m) => void logs.push(m),
        progress: (label) => void progress.add(label),
        figure: async (name, spec) => void (await saveFigure(spec, join(dir, name))),
      };
      const cfg = PRESETS.tiny;
      const models = await modelsStage(cfg, out, sink);
      expect(models).toMatchObject({ samples: 4, train: 3, test: 1 });
      const eigs = await eigsStage(cfg, out, sink);
      expect(eigs.r).toBe(2);
      const values = eigs.values as number[];
      expect(values[0]! >= values[1]! && values[1]! > 0).toBe(true);
      await dataStage(cfg, data, out, sink);
      expect(await dataStage(cfg, data, out, sink)).toMatchObject({ shardsMade: 0 });
      const t = (await trainStage(cfg, data, out, sink)) as {
        networks: { name: string; testForwardError: number; testJacobianError: number; history: unknown[] }[];
      };
      expect(t.networks.map((n) => n.name)).toEqual(['FNO', 'JI-FNO r=1', 'JI-FNO r=2']);
      for (const n of t.networks) {
        expect(n.history).toHaveLength(cfg.train.epochs);
        for (const v of [n.testForwardError, n.testJacobianError]) expect(v > 0 && Number.isFinite(v)).toBe(true);
      }
      const inv = (await invertStage(cfg, data, out, sink)) as {
        table: { method: string; modelError: number; dataResidual: number; ssim: number }[];
      };
      expect(inv.table.map((r) => r.method)).toEqual(['FNO', 'JI-FNO r=1', 'JI-FNO r=2', 'physics']);
      for (const r of inv.table) for (const v of [r.modelError, r.dataResidual, r.ssim]) expect(Number.isFinite(v)).toBe(true);
      expect(progress).toEqual(
        new Set(['eigenvectors', 'RTM images + Jacobian actions', 'train FNO', 'train JI-FNO r=1', 'train JI-FNO r=2', 'inversions']),
      );
      for (const f of [
        'models.json',
        'eigs.json',
        'train.json',
        'invert.json',
        'directions.safetensors',
        'fno.safetensors',
        'jifno-r2.safetensors',
      ])
        expect(existsSync(join(dir, f)), f).toBe(true);
      for (const f of ['models', 'eigenvectors', 'eigenvalues', 'data', 'training', 'inversions', 'gradients'])
        for (const ext of ['png', 'svg']) expect(statSync(join(dir, `${f}.${ext}`)).size, `${f}.${ext}`).toBeGreaterThan(1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
