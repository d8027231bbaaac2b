// @node-only: the FNO-wave example (examples/fno-wave) end to end at the 'tiny' preset, into a
// temporary directory: generate (then again, which must redo nothing), train, evaluate, invert;
// checks the JSON numbers, the checkpoints and the figures (PNG and SVG).
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { saveFigure } from '../src/viz/render-node.js';
import { PRESETS, evaluateStage, generateStage, invertStage, trainStage, type Sink } from '../examples/fno-wave/pipeline.js';
import { DirStore } from '../examples/fno-wave/store-node.js';
import { useDevice } from './helpers.js';

describe('examples/fno-wave', () => {
  useDevice();

  it('runs the whole pipeline at the tiny preset; a second generate resumes with nothing to do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fno-wave-'));
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
      const m = await generateStage(data, cfg, sink);
      expect(m.complete).toBe(true);
      const shard = join(dir, 'data', m.shards[0]!.name);
      const mtime = statSync(shard).mtimeMs;
      await generateStage(data, cfg, sink);
      expect(logs.at(-1)).toMatch(/0 shards made, 2 already stored/);
      expect(statSync(shard).mtimeMs).toBe(mtime);

      const t = await trainStage(data, out, cfg, sink);
      expect(t.trainLoss).toHaveLength(1);
      expect(t.valRelL2).toHaveLength(1);
      expect(t.uScale).toBeGreaterThan(0);
      const e = await evaluateStage(data, out, cfg, sink);
      expect(e.validation.perSample).toHaveLength(cfg.val);
      // The surrogate reloaded from fno.safetensors gives the training run's last validation error.
      expect(e.validation.mean).toBeCloseTo(t.valRelL2[0]!, 5);
      expect(e.refined.grid).toBe('32x32');
      for (const v of [...e.validation.perSample, ...e.refined.perSample, e.square.relL2]) expect(v > 0 && Number.isFinite(v)).toBe(true);
      const r = await invertStage(out, cfg, sink);
      expect(r.sources).toBe(4);
      expect(r.fno.modelError).toHaveLength(cfg.fwi.iterations);
      expect(r.adjoint.modelError).toHaveLength(cfg.fwi.adjointIterations);
      for (const v of [r.initialError, r.fno.finalError, r.adjoint.finalError, r.speedup]) expect(v > 0 && Number.isFinite(v)).toBe(true);
      expect(progress).toEqual(new Set(['simulations', 'training steps', '32x32 models', 'adjoint FWI iterations', 'FNO-FWI iterations']));
      for (const f of ['train.json', 'evaluate.json', 'invert.json', 'fno.safetensors', 'checkpoint.safetensors'])
        expect(existsSync(join(dir, f)), f).toBe(true);
      expect(JSON.parse(readFileSync(join(dir, 'invert.json'), 'utf8'))).toMatchObject({ grid: '16x16', sources: 4 });
      for (const f of ['training', 'waveforms', 'generalization', 'fwi-models', 'fwi-error'])
        for (const ext of ['png', 'svg']) expect(statSync(join(dir, `${f}.${ext}`)).size, `${f}.${ext}`).toBeGreaterThan(1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
