// zeros (any all-zero fill: 0, 0.0, false) is the encoder's clearBuffer, not a dispatch
// (src/ops/creation.ts, Node.clear in src/graph/scheduler.ts). These cases put clears between
// dispatches of one flush (the clear ends the compute pass), reuse pooled buffers that held other
// values (the suite poisons fresh outputs too), and check that -0.0, whose bits are not zero, still
// takes the fill kernel. Exact comparisons: no arithmetic.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { randomFloats, rng, useDevice } from './helpers.js';

describe('zeros by clearBuffer', () => {
  useDevice();

  it('clears between dispatches of one flush, in float32 and int32, over pooled buffers that held data', async () => {
    const g = rng();
    for (const n of [1, 3, 4, 1001, 65536]) {
      // Fill and free a buffer of this size, so the zeros below may get it back from the pool.
      const junk = tl.full([n], 7.5);
      await junk.data();
      junk.dispose();
      const xs = randomFloats(g, n, -1, 1);
      const x = tl.tensor(xs);
      const a = tl.mul(x, 2);
      const z = tl.zeros([n]);
      const zi = tl.zeros([n], 'int32');
      const b = tl.add(a, z); // a dispatch after the clear, in the same flush
      const c = tl.add(tl.cast(zi, 'float32'), x);
      const [gb, gz, gzi, gc] = await Promise.all([b.data(), z.data(), zi.data(), c.data()]);
      expect(Array.from(gz), `n ${n}`).toEqual(new Array<number>(n).fill(0));
      expect(Array.from(gzi), `n ${n}`).toEqual(new Array<number>(n).fill(0));
      expect(Array.from(gb), `seed ${g.seed}, n ${n}`).toEqual(Array.from(xs, (v) => Math.fround(2 * v)));
      expect(Array.from(gc), `seed ${g.seed}, n ${n}`).toEqual(Array.from(xs));
      for (const t of [x, a, z, zi, b, c]) t.dispose();
    }
  });

  it('full(-0) keeps its sign (the fill kernel), zerosLike and full(false) clear', async () => {
    const neg = await tl.full([5], -0).data();
    expect(Array.from(neg, (v) => Object.is(v, -0))).toEqual(new Array<boolean>(5).fill(true));
    const like = await tl.zerosLike(tl.ones([2, 3], 'int32')).toArray();
    expect(like).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(Array.from(await tl.full([6], false, 'int32').data())).toEqual(new Array<number>(6).fill(0));
  });

  it('a profile lists the clears, untimed, and no fill kernel for them', async () => {
    const report = await tl.profile(
      async () => {
        const y = tl.add(tl.zeros([4096]), tl.ones([4096]));
        await y.data();
        y.dispose();
      },
      { every: 1, callSites: false },
    );
    const clears = report.rows.filter((k) => k.label === 'zeros (clearBuffer)');
    expect(clears.map((k) => [k.calls, k.timedCalls])).toEqual([[1, 0]]);
    expect(report.rows.filter((k) => k.label === 'full').map((k) => k.calls)).toEqual([1]); // the ones
  });
});
