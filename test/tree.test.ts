// Pytrees (src/graph/tree.ts): flatten/unflatten round trips with static leaves, one leaf order
// (sorted keys, array index) whatever the insertion order, zip's error naming the first mismatching
// path for each kind of mismatch, map keeping structure, and gradients of dicts built in two
// insertion orders pairing with their parameters in zip, vjp and an optimizer step; tidy(), keep()
// and the tape walking the same trees.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { SGD } from '../src/nn/index.js';
import { assertClose, randomFloats, rng, useDevice } from './helpers.js';

const { flatten, unflatten, map, zip, isLeaf } = tl.tree;
const disposeAll = (...trees: unknown[]): void => tl.tree.leaves(trees).forEach((t) => t.dispose());
/** The very tensors, in order (deep equality could match two distinct tensors of one shape). */
const expectSame = (got: readonly unknown[], want: readonly unknown[]): void => {
  expect(got.length).toBe(want.length);
  got.forEach((t, i) => expect(t, `item ${i}`).toBe(want[i]));
};

describe('tree', () => {
  useDevice();

  it('flattens and unflattens nested objects and arrays, keeping non-tensor leaves as structure', () => {
    const [a, b, c, d] = [1, 2, 3, 4].map((v) => tl.tensor([v]));
    const fn = (): number => 1;
    const typed = new Float32Array(2);
    const tree = { z: [a!, 3, null, { y: b!, s: 'x' }], a: { c: c!, f: undefined, g: fn, h: typed }, 'layers.0.weight': d!, e: [] };
    const { leaves, paths, treedef } = flatten(tree, { root: 'p' });
    expectSame(leaves, [c, d, a, b]);
    expect(paths).toEqual(['p.a.c', "p['layers.0.weight']", 'p.z[0]', 'p.z[3].y']);
    expect(treedef.numLeaves).toBe(4);
    const back = unflatten(treedef, leaves);
    expect(back).toEqual(tree);
    expect(back).not.toBe(tree);
    expect(back.z[3].y).toBe(b);
    expect(back.a.g).toBe(fn);
    expect(back.a.h).toBe(typed);
    expect('f' in back.a).toBe(true);
    // Any values fill the leaves; the statics stay.
    expect(unflatten(treedef, ['C', 'D', 'A', 'B'])).toEqual({
      a: { c: 'C', f: undefined, g: fn, h: typed },
      e: [],
      'layers.0.weight': 'D',
      z: ['A', 3, null, { s: 'x', y: 'B' }],
    });
    // A bare tensor and a bare static are trees too.
    expect(flatten(a).paths).toEqual(['tree']);
    expect(unflatten(flatten(a).treedef, [b])).toBe(b);
    expect(unflatten(flatten(7).treedef, [])).toBe(7);
    expectSame(tl.tree.leaves(tree), leaves);
    expect(isLeaf(a)).toBe(true);
    expect([3, null, [a], { a }, typed].some(isLeaf)).toBe(false);
    expect(() => unflatten(treedef, [a])).toThrow(/tree\.unflatten\(treedef, leaves\): the treedef has 4 leaves, got 1 values/);
    expect(() => unflatten({} as never, [])).toThrow(
      /tree\.unflatten\(treedef, leaves\): treedef: expected a TreeDef from tree\.flatten\(\), got an object/,
    );
    const loop: Record<string, unknown> = { a };
    loop.self = [loop];
    expect(() => flatten(loop, { root: 'p' })).toThrow(/the tree contains itself at p\.self\[0\]/);
    // Shared subtrees are not cycles: each occurrence is its own leaf.
    const shared = { x: a };
    expectSame(flatten([shared, shared]).leaves, [a, a]);
    expect(() => flatten({ n: 1 }, { root: 'params', what: 'f(params)', tensorsOnly: true })).toThrow(
      /f\(params\): params\.n: expected a Tensor or nested plain objects\/arrays of Tensors, got 1$/,
    );
    disposeAll(a, b, c, d);
  });

  it('orders leaves by sorted key whatever the insertion order, and arrays by index', () => {
    const [a, b, c, d, e] = [1, 2, 3, 4, 5].map((v) => tl.tensor([v]));
    const one = { b: b!, a: [a!, { y: d!, x: c! }], c: e! };
    const two = { c: e!, a: [a!, { x: c!, y: d! }], b: b! };
    expect(Object.keys(one)).not.toEqual(Object.keys(two));
    for (const t of [one, two]) {
      expectSame(flatten(t).leaves, [a, c, d, b, e]);
      expect(flatten(t).paths).toEqual(['tree.a[0]', 'tree.a[1].x', 'tree.a[1].y', 'tree.b', 'tree.c']);
      expect(Object.keys(map(t, (x) => x))).toEqual(['a', 'b', 'c']);
    }
    // Code-unit order, not numeric: '10' before '2' (Object.keys itself lists '2' first).
    const numeric = { 2: a!, 10: b! };
    expect(Object.keys(numeric)).toEqual(['2', '10']);
    expect(flatten(numeric).paths).toEqual(["tree['10']", "tree['2']"]);
    disposeAll(a, b, c, d, e);
  });

  it('map keeps the structure and statics, and passes path and index in leaf order', async () => {
    const [a, b] = [tl.tensor([1, 2]), tl.tensor([3])];
    const tree = { w: [b, { label: 'l', k: 2 }], v: a, n: null };
    const seen: string[] = [];
    const out = map(tree, (t, path, i) => {
      seen.push(`${i}:${path}`);
      return tl.mul(t, 10);
    });
    expect(seen).toEqual(['0:tree.v', '1:tree.w[0]']);
    expect(out.n).toBeNull();
    expect(out.w[1]).toEqual({ k: 2, label: 'l' });
    expect(out.w[1]).not.toBe(tree.w[1]);
    expect(Array.from(await out.v.data())).toEqual([10, 20]);
    expect(Array.from(await (out.w[0] as tl.Tensor).data())).toEqual([30]);
    expect(map(tree, (t) => t.shape)).toEqual({ n: null, v: [2], w: [[1], { k: 2, label: 'l' }] });
    expect(() => map(tree, 3 as never)).toThrow(/tree\.map\(tree, fn\): fn: expected a function, got 3/);
    disposeAll(tree, out);
  });

  it('zip pairs leaves and names the first mismatching path for each kind of mismatch', () => {
    const [x, y, z] = [tl.tensor([1]), tl.tensor([2]), tl.tensor([3])];
    const names = { names: ['params', 'grads'] as const };
    const ok = zip({ b: [y], a: x }, { a: z, b: [x] }, 'f', names);
    expectSame(ok.a, [x, y]);
    expectSame(ok.b, [z, x]);
    expect(ok.paths).toEqual(['.a', '.b[0]']);
    const fails = (a: unknown, b: unknown): string => {
      try {
        zip(a, b, 'opt.step(params, grads)', names);
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('zip accepted trees that differ');
    };
    // Missing key, extra key: the first in sorted order wins.
    expect(fails({ a: x, b: y, d: z }, { a: x, d: z })).toBe(
      'tellus: opt.step(params, grads): params and grads must have the same structure: params has 3 tensors, grads has 2, first difference at params.b (missing from grads)',
    );
    expect(fails({ a: x, d: z }, { a: x, c: y, d: z })).toMatch(
      /params has 2 tensors, grads has 3, first difference at grads\.c \(missing from params\)$/,
    );
    // Structure: an array where the other has a tensor, deep inside.
    expect(fails({ a: { b: [x] } }, { a: { b: x } })).toMatch(/first difference at params\.a\.b: an array in params, a Tensor in grads$/);
    expect(fails({ a: { b: x } }, { a: [x] })).toMatch(/first difference at params\.a: an object in params, an array in grads$/);
    // Leaf count: arrays of different lengths.
    expect(fails([x, y], [x])).toMatch(
      /params has 2 tensors, grads has 1, first difference at params\[1\] \(missing from grads: params has 2 items, grads has 1\)$/,
    );
    expect(fails({ l: [[x], [y]] }, { l: [[x], [y, z]] })).toMatch(
      /first difference at grads\.l\[1\]\[1\] \(missing from params: params\.l\[1\] has 1 items, grads\.l\[1\] has 2\)$/,
    );
    // The earliest difference in leaf order, not the first one found by count.
    expect(fails({ a: { b: [x] }, z: x }, { a: { b: [x, y] }, c: x })).toMatch(/first difference at grads\.a\.b\[1\]/);
    // Static leaves must sit at the same places (values are not compared); tensorsOnly rejects them.
    expect(fails({ a: 1 }, { a: x })).toMatch(/first difference at params\.a: a static value in params, a Tensor in grads$/);
    expectSame(zip({ a: x, tag: 'p' }, { a: y, tag: 'g' }).a, [x]);
    expect(() => zip({ a: x, tag: 'p' }, { a: y, tag: 'p' }, 'f', { ...names, tensorsOnly: true })).toThrow(
      /f: params\.tag: expected a Tensor or nested plain objects\/arrays of Tensors, got "p"$/,
    );
    // The same comparison on treedefs.
    expect(flatten({ b: [y], a: x }).treedef.difference(flatten({ a: z, b: [x] }).treedef)).toBeNull();
    expect(flatten({ a: x }).treedef.difference(flatten({ a: x, b: [] }).treedef, ['out', 'ct'])).toBe('ct.b (missing from out)');
    expect(fails({ 'layers.0.w': x }, {})).toMatch(/first difference at params\['layers\.0\.w'\] \(missing from grads\)$/);
    disposeAll(x, y, z);
  });

  it('gradients of a dict built in two insertion orders pair with the parameters in zip, vjp and an optimizer step', async () => {
    const g = rng();
    // Same shapes, so a mispairing would not be caught by a shape check, only by the values.
    const hw = randomFloats(g, 3);
    const hb = randomFloats(g, 3);
    const w = tl.tensor(hw);
    const b = tl.tensor(hb);
    const loss = (p: { w: tl.Tensor; b: tl.Tensor }): tl.Tensor => tl.add(tl.sum(tl.square(p.w)), tl.sum(tl.mul(p.b, 3)));
    const wb = { w, b };
    const bw = { b, w };
    const gw = tl.grad(loss)(bw) as { w: tl.Tensor; b: tl.Tensor };
    expect(Object.keys(gw)).toEqual(['b', 'w']);
    // argnums naming one argument twice differentiates it once and returns the tree twice.
    const twice = tl.grad(loss, [0, 0])(wb) as { w: tl.Tensor; b: tl.Tensor }[];
    for (const t of twice)
      assertClose(
        await t.w.data(),
        Array.from(hw, (v) => 2 * v),
        { rtol: 1e-6, atol: 0 },
        `seed ${g.seed}: argnums [0, 0]: d/dw`,
      );
    // The parameters in one insertion order, the gradients from the other.
    const { a: ps, b: gs, paths } = zip(wb, gw, 'test', { names: ['params', 'grads'] });
    expect(paths).toEqual(['.b', '.w']);
    expectSame(ps, [b, w]);
    expectSame(gs, [gw.b, gw.w]);
    assertClose(
      await gw.w.data(),
      Array.from(hw, (v) => 2 * v),
      { rtol: 1e-6, atol: 0 },
      `seed ${g.seed}: d/dw`,
    );
    assertClose(await gw.b.data(), [3, 3, 3], { rtol: 0, atol: 0 }, `seed ${g.seed}: d/db`);
    // An SGD step on { w, b } with the gradients of { b, w }: w -= 0.5 (2w) = 0, b -= 0.5 * 3.
    const opt = new SGD({ lr: 0.5 });
    opt.step(wb, gw);
    assertClose(await w.data(), [0, 0, 0], { rtol: 0, atol: 1e-7 }, `seed ${g.seed}: w after the step`);
    assertClose(
      await b.data(),
      Array.from(hb, (v) => v - 1.5),
      { rtol: 1e-6, atol: 1e-7 },
      `seed ${g.seed}: b after the step`,
    );
    // vjp: a cotangent built in the other insertion order than the output pairs by key.
    const x = tl.tensor([1, 2, 3]);
    const [out, pull] = tl.vjp((t: tl.Tensor) => ({ double: tl.mul(t, 2), square: [tl.square(t), 'static'] }), x);
    // The tape strips its node from every tensor of the result tree, however nested.
    expect(tl.tree.leaves(out).map((t) => t.tape)).toEqual([undefined, undefined]);
    expect(out.square[1]).toBe('static');
    const ct = { square: [tl.tensor([1, 0, 0])], double: tl.tensor([0, 0, 1]) };
    const [gx] = pull(ct);
    // d/dx = 2x ⊙ [1,0,0] + 2 ⊙ [0,0,1].
    expect(Array.from(await gx!.data())).toEqual([2, 0, 2]);
    pull.dispose();
    opt.dispose();
    disposeAll(w, b, gw, twice[0], x, out, ct, gx);
  });

  it('tidy keeps every tensor of a returned tree and keep() protects a tree from the enclosing scope', () => {
    let inner: tl.Tensor | undefined;
    let hidden: tl.Tensor | undefined;
    let dropped: tl.Tensor | undefined;
    const kept = tl.tidy(() => {
      const a = tl.ones([2]);
      dropped = a.add(1);
      hidden = a.mul(5);
      const out = tl.tidy(() => {
        inner = tl.keep({ deep: [a.mul(3)] }).deep[0];
        return { z: [a.add(2), 'tag'], y: { x: a.mul(2) }, m: new Map([['hidden', hidden!]]) };
      });
      return { out, a };
    });
    const live = tl.tree.leaves(kept);
    expect(live).toHaveLength(3);
    expect(live.map((t) => t.isDisposed)).toEqual([false, false, false]);
    // A Map is a static value: the tensor inside it is not part of the tree, so tidy disposes it.
    expect(hidden!.isDisposed).toBe(true);
    expect(dropped!.isDisposed).toBe(true);
    expect(inner!.isDisposed).toBe(false);
    disposeAll(kept, inner);
  });
});
