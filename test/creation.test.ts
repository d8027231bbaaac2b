// Tensor creation: tensor() from nested arrays, typed arrays and numbers; zeros/ones/full/arange/
// empty for every dtype; rand/randn checked bit for bit against an independent CPU Philox-4x32-10,
// Box-Muller against float64, and the statistics of large samples. Bad input must name the argument.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { rng, useDevice } from './helpers.js';
import { assertEqualValues, assertWithin, EPS32, philox4x32, randnRef, randRef, unitOf, values } from './ref.js';

const DTYPES = ['float32', 'int32', 'uint32'] as const;

describe('creation', () => {
  useDevice();

  it('tensor() from nested arrays, numbers and booleans infers the shape; float32 by default', async () => {
    const a = tl.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe('float32');
    expect(await a.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = tl.tensor([
      [[1], [2]],
      [[3], [4]],
      [[5], [6]],
    ]);
    expect(b.shape).toEqual([3, 2, 1]);
    expect(await values(b)).toEqual([1, 2, 3, 4, 5, 6]);
    const s = tl.tensor(2.5);
    expect(s.shape).toEqual([]);
    expect(await s.item()).toBe(2.5);
    expect(await tl.tensor([true, false, true]).toArray()).toEqual([1, 0, 1]);
    // Values are stored as float32: 0.1 becomes its nearest float32; NaN and infinities survive.
    const f = await values(tl.tensor([0.1, -1e-40, 3e38, NaN, -Infinity]));
    expect(f[0]).toBe(Math.fround(0.1));
    expect(Math.abs(f[1]!)).toBeLessThan(1.2e-38); // a float32 subnormal, or 0 where the device flushes them
    expect(f[2]).toBe(Math.fround(3e38));
    expect(f[3]).toBeNaN();
    expect(f[4]).toBe(-Infinity);
    // Empty arrays.
    expect(tl.tensor([]).shape).toEqual([0]);
    expect(tl.tensor([[], []]).shape).toEqual([2, 0]);
    expect(await values(tl.tensor([[], []]))).toEqual([]);
    // dtype and shape options.
    const i = tl.tensor(
      [
        [1, -2],
        [3, 4],
      ],
      { dtype: 'int32' },
    );
    expect(i.dtype).toBe('int32');
    expect(await i.toArray()).toEqual([
      [1, -2],
      [3, 4],
    ]);
    const u = tl.tensor([4294967295, 0, 7], { dtype: 'uint32' });
    expect(await values(u)).toEqual([4294967295, 0, 7]);
    const r = tl.tensor([1, 2, 3, 4, 5, 6], { shape: [3, 1, 2] });
    expect(r.shape).toEqual([3, 1, 2]);
    expect(await r.toArray()).toEqual([[[1, 2]], [[3, 4]], [[5, 6]]]);
    expect(await tl.tensor(7, { shape: [1, 1] }).toArray()).toEqual([[7]]);
  });

  it('tensor() from Float32Array, Float64Array, Int32Array and Uint32Array (and subarrays), copied at once', async () => {
    const g = rng();
    const f32 = Float32Array.from({ length: 7 }, () => g.next() * 2 - 1);
    const t32 = tl.tensor(f32);
    expect(t32.shape).toEqual([7]);
    expect(t32.dtype).toBe('float32');
    f32[0] = 123; // the data was uploaded at creation: later writes to the array do not show
    const got32 = await t32.data();
    expect(got32[0]).not.toBe(123);
    assertEqualValues(got32.subarray(1), f32.subarray(1), `seed ${g.seed}: Float32Array`);

    const f64 = Float64Array.from({ length: 6 }, () => g.next() * 2 - 1);
    const t64 = tl.tensor(f64, { shape: [2, 3] });
    expect(t64.dtype).toBe('float32');
    expect(t64.shape).toEqual([2, 3]);
    // Rounded to nearest float32.
    assertEqualValues(await values(t64), Array.from(f64, Math.fround), `seed ${g.seed}: Float64Array`);

    const i32 = Int32Array.from([-2147483648, -1, 0, 2147483647, 5]);
    const ti = tl.tensor(i32);
    expect(ti.dtype).toBe('int32');
    expect(await ti.data()).toEqual(i32);
    const u32 = Uint32Array.from([0, 1, 2147483648, 4294967295]);
    const tu = tl.tensor(u32, { shape: [2, 2] });
    expect(tu.dtype).toBe('uint32');
    expect(await tu.toArray()).toEqual([
      [0, 1],
      [2147483648, 4294967295],
    ]);

    // A subarray starts at a byte offset into its buffer.
    const big = Float32Array.from({ length: 10 }, (_, k) => k + 0.5);
    expect(await values(tl.tensor(big.subarray(3, 8)))).toEqual([3.5, 4.5, 5.5, 6.5, 7.5]);
    expect(await values(tl.tensor(Int32Array.from([9, 8, 7, 6]).subarray(1)))).toEqual([8, 7, 6]);
    // dtype overrides the array's: ints to float32, floats to int32.
    const tf = tl.tensor(Int32Array.from([1, -2, 3]), { dtype: 'float32' });
    expect(tf.dtype).toBe('float32');
    expect(await values(tf)).toEqual([1, -2, 3]);
    expect(await values(tl.tensor(Float64Array.from([4, -5]), { dtype: 'int32' }))).toEqual([4, -5]);
    expect(tl.tensor(new Float32Array(0)).shape).toEqual([0]);
  });

  it('tensor() rejects ragged arrays, wrong shapes and unsupported data, naming the argument', () => {
    expect(() => tl.tensor([[1, 2], [3]])).toThrow(
      'tellus: tensor(data, opts): data[1]: expected an array of length 2 (as data[0]), got an array of length 1',
    );
    expect(() => tl.tensor([[1, 2], 3])).toThrow('tellus: tensor(data, opts): data[1]: expected an array of length 2 (as data[0]), got 3');
    expect(() =>
      tl.tensor([
        [[1], [2]],
        [[3], [4, 5]],
      ]),
    ).toThrow('tellus: tensor(data, opts): data[1][1]: expected an array of length 1 (as data[0][0]), got an array of length 2');
    expect(() => tl.tensor([[1], [[2]]])).toThrow(
      'tellus: tensor(data, opts): data[1][0]: expected a number or a boolean, got an array of length 1',
    );
    expect(() => tl.tensor(['a', 'b'] as unknown as number[])).toThrow(
      'tellus: tensor(data, opts): data[0]: expected a number or a boolean, got "a"',
    );
    expect(() => tl.tensor([1, 2, 3], { shape: [2, 2] })).toThrow(
      'tellus: tensor(data, opts): shape: expected a shape of 3 elements (as data), got [2, 2], which holds 4',
    );
    expect(() => tl.tensor(new Float32Array(6), { shape: [4] })).toThrow(
      'tellus: tensor(data, opts): shape: expected a shape of 6 elements (as data), got [4], which holds 4',
    );
    expect(() => tl.tensor([1, 2], { shape: [-2, -1] })).toThrow(
      'tellus: tensor(data, opts): shape: expected an array of non-negative integers, got [-2, -1]',
    );
    expect(() => tl.tensor([1], { dtype: 'float64' as tl.DType })).toThrow(
      'tellus: tensor(data, opts): dtype: expected one of float32, int32, uint32, got "float64"',
    );
    expect(() => tl.tensor(new Uint8Array(3) as unknown as Float32Array)).toThrow(
      'tellus: tensor(data, opts): data: expected a Float32Array, Float64Array, Int32Array or Uint32Array, got a Uint8Array',
    );
    expect(() => tl.tensor('123' as unknown as number)).toThrow(
      'tellus: tensor(data, opts): data: expected a typed array, a nested array or a number, got "123"',
    );
    expect(() => tl.tensor(null as unknown as number)).toThrow(
      'tellus: tensor(data, opts): data: expected a typed array, a nested array or a number, got null',
    );
  });

  it('zeros, ones, full (every dtype), zerosLike/onesLike and empty', async () => {
    for (const dtype of DTYPES) {
      const z = tl.zeros([2, 3], dtype);
      expect(z.dtype).toBe(dtype);
      expect(z.shape).toEqual([2, 3]);
      expect(await values(z)).toEqual([0, 0, 0, 0, 0, 0]);
      expect(await values(tl.ones([5], dtype))).toEqual([1, 1, 1, 1, 1]);
      const fv = dtype === 'float32' ? -2.75 : dtype === 'int32' ? -7 : 4000000000;
      const f = tl.full([3, 1, 2], fv, dtype);
      expect(f.dtype).toBe(dtype);
      expect(await values(f)).toEqual(new Array(6).fill(fv));
      expect(await values(tl.zerosLike(f))).toEqual(new Array(6).fill(0));
      const o = tl.onesLike(f);
      expect(o.dtype).toBe(dtype);
      expect(o.shape).toEqual([3, 1, 2]);
      expect(await values(o)).toEqual(new Array(6).fill(1));
      // 0-d and empty shapes.
      expect(await tl.full([], 3, dtype).item()).toBe(3);
      expect(await values(tl.zeros([0, 4], dtype))).toEqual([]);
      const e = tl.empty([4, 2], dtype);
      expect(e.shape).toEqual([4, 2]);
      expect(e.dtype).toBe(dtype);
    }
    // fill writes four words per invocation: every length mod 4, a multiple of the 64-wide
    // workgroup and one past it, each element checked (outputs are poisoned first).
    for (const n of [1, 2, 3, 4, 5, 7, 8, 255, 256, 257, 1023, 100_003]) {
      const got = await tl.full([n], -3.5).data();
      expect(got.length).toBe(n);
      const bad = got.findIndex((x) => x !== -3.5);
      expect(bad, `full([${n}]): element ${bad} is ${got[bad]}`).toBe(-1);
    }
    expect(await tl.full([2], true, 'int32').toArray()).toEqual([1, 1]);
    expect(await tl.full([1], 0.1).item()).toBe(Math.fround(0.1));
    expect(await tl.full([1], NaN).item()).toBeNaN();
    expect(await tl.full([1], -Infinity).item()).toBe(-Infinity);
    expect(await tl.full([2], -1, 'int32').toArray()).toEqual([-1, -1]);
    expect(tl.zeros([3]).dtype).toBe('float32');
    expect(tl.empty([3]).dtype).toBe('float32');

    expect(() => tl.full([2], 1.5, 'int32')).toThrow(
      'tellus: full(shape, value, dtype): value: expected an integer in [-2147483648, 2147483647] for int32, got 1.5',
    );
    expect(() => tl.full([2], 0.5, 'uint32')).toThrow(
      'tellus: full(shape, value, dtype): value: expected an integer in [0, 4294967295] for uint32, got 0.5',
    );
    expect(() => tl.full([2], 1, 'float16' as tl.DType)).toThrow(
      'tellus: full(shape, value, dtype): dtype: expected one of float32, int32, uint32, got "float16"',
    );
    expect(() => tl.zeros([2, -1])).toThrow('tellus: zeros(shape, dtype): shape: expected an array of non-negative integers, got [2, -1]');
    expect(() => tl.ones([1.5])).toThrow('tellus: ones(shape, dtype): shape: expected an array of non-negative integers, got [1.5]');
    expect(() => tl.empty([-3])).toThrow('tellus: empty(shape, dtype): shape: expected an array of non-negative integers, got [-3]');
    expect(() => tl.empty([3], 'bool' as tl.DType)).toThrow(
      'tellus: empty(shape, dtype): dtype: expected one of float32, int32, uint32, got "bool"',
    );
  });

  it('arange: float and int, one to three arguments, negative and fractional steps, empty ranges', async () => {
    expect(await values(tl.arange(5))).toEqual([0, 1, 2, 3, 4]);
    expect(await values(tl.arange(2, 7))).toEqual([2, 3, 4, 5, 6]);
    expect(await values(tl.arange(1, 2, 0.25))).toEqual([1, 1.25, 1.5, 1.75]);
    expect(await values(tl.arange(5, 0, -1.5))).toEqual([5, 3.5, 2, 0.5]);
    expect(await values(tl.arange(-3, 3, 2.5))).toEqual([-3, -0.5, 2]);
    expect(await values(tl.arange(5, 0))).toEqual([]);
    expect(await values(tl.arange(0, -5, 1))).toEqual([]);
    expect(tl.arange(5).dtype).toBe('float32');
    // A step that float32 cannot represent: NumPy's start + i*step, rounded once to float32, against
    // the device's float32 arithmetic: a few roundings of values of size |start| + |i*step|.
    const n = 1000;
    const a = await values(tl.arange(-2, 98, 0.1));
    expect(a).toHaveLength(n);
    assertWithin(
      a,
      Array.from({ length: n }, (_, i) => -2 + i * 0.1),
      Array.from({ length: n }, (_, i) => 4 * EPS32 * (2 + i * 0.1)),
      'arange(-2, 98, 0.1)',
    );

    for (const dtype of ['int32', 'uint32'] as const) {
      const t = tl.arange(0, 5, 1, dtype);
      expect(t.dtype).toBe(dtype);
      expect(await values(t)).toEqual([0, 1, 2, 3, 4]);
      expect(await values(tl.arange(10, 0, -3, dtype))).toEqual([10, 7, 4, 1]);
      expect(await values(tl.arange(3, 3, 1, dtype))).toEqual([]);
    }
    expect(await values(tl.arange(-3, 10, 4, 'int32'))).toEqual([-3, 1, 5, 9]);
    expect(await values(tl.arange(-10, -20, -4, 'int32'))).toEqual([-10, -14, -18]);
    // A long int range is exact everywhere.
    const long = await tl.arange(-50_000, 50_000, 7, 'int32').data();
    expect(long).toHaveLength(Math.ceil(100_000 / 7));
    let ok = true;
    for (let i = 0; i < long.length; i++) ok &&= long[i] === -50_000 + 7 * i;
    expect(ok).toBe(true);

    expect(() => tl.arange(0, 5, 0)).toThrow('tellus: arange(start, stop, step, dtype): step: expected a non-zero number, got 0');
    expect(() => tl.arange(NaN)).toThrow('tellus: arange(start, stop, step, dtype): stop: expected a finite number, got NaN');
    expect(() => tl.arange(0, Infinity)).toThrow('tellus: arange(start, stop, step, dtype): stop: expected a finite number, got Infinity');
    expect(() => tl.arange(-Infinity, 0)).toThrow(
      'tellus: arange(start, stop, step, dtype): start: expected a finite number, got -Infinity',
    );
    expect(() => tl.arange(0, 1, NaN)).toThrow('tellus: arange(start, stop, step, dtype): step: expected a finite number, got NaN');
    expect(() => tl.arange(0, 5, 0.5, 'int32')).toThrow(
      'tellus: arange(start, stop, step, dtype): step: expected an integer for int32, got 0.5',
    );
    expect(() => tl.arange(0.5, 5, 1, 'uint32')).toThrow(
      'tellus: arange(start, stop, step, dtype): start: expected an integer for uint32, got 0.5',
    );
    expect(() => tl.arange(0, 5, 1, 'int8' as tl.DType)).toThrow(
      'tellus: arange(start, stop, step, dtype): dtype: expected one of float32, int32, uint32, got "int8"',
    );
  });

  it('the CPU Philox-4x32-10 reference reproduces Random123 known-answer vectors', () => {
    // Random123's kat_vectors for philox4x32_10: (counter, key) -> output.
    expect(philox4x32([0, 0, 0, 0], [0, 0])).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    expect(philox4x32([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])).toEqual([
      0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd,
    ]);
    expect(philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])).toEqual([
      0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1,
    ]);
  });

  it('rand() equals Philox-4x32-10 bit for bit: counter (block, 0, stream, 0), key (seed_lo, seed_hi), top 24 bits / 2^24', async () => {
    const g = rng();
    const seeds = [0, 1, 12345, Math.floor(g.next() * 2 ** 31), 2 ** 32 + 7, 2 ** 40 + 2 ** 33 + 99];
    for (const seed of seeds) {
      for (const n of [1, 2, 3, 5, 7, 13, 4099]) {
        const u = await values(tl.rand([n], { seed }));
        assertEqualValues(u, randRef(n, seed), `seed ${seed} (rng seed ${g.seed}), n ${n}`);
      }
    }
    // The shape does not change the stream: element i of any shape is word i.
    const seed = Math.floor(g.next() * 2 ** 31);
    const m = tl.rand([3, 5, 7], { seed });
    expect(m.shape).toEqual([3, 5, 7]);
    assertEqualValues(await values(m), randRef(105, seed), `seed ${seed}: shape [3, 5, 7]`);
    // Every value is in [0, 1) and a multiple of 2^-24.
    const big = await values(tl.rand([10_001], { seed }));
    const off = big.find((v) => !(v >= 0 && v < 1 && Number.isInteger(v * 2 ** 24)));
    expect(off, `seed ${seed}: a value outside [0, 1) or off the 2^-24 grid`).toBe(undefined);
    expect(unitOf(0xffffffff)).toBe(1 - 2 ** -24);
  });

  it('rand({ low, high }) scales the same uniforms into [low, high)', async () => {
    const g = rng();
    const seed = Math.floor(g.next() * 2 ** 31);
    const n = 1001;
    const [low, high] = [-2, 3];
    const x = await values(tl.rand([n], { seed, low, high }));
    const ref = Array.from(randRef(n, seed), (u) => low + (high - low) * u);
    // u * (high - low) + low in float32 (perhaps fused): two roundings of values of size <= |low| + |high - low|.
    assertWithin(x, ref, new Array(n).fill(2 * EPS32 * (Math.abs(low) + (high - low))), `seed ${seed}: rand low/high`);
    expect(
      x.find((v) => !(v >= low && v < high)),
      `seed ${seed}: a value outside [${low}, ${high})`,
    ).toBe(undefined);
  });

  it('randn() is Box-Muller on the same Philox uniforms, to ~1e-5', async () => {
    const g = rng();
    for (const seed of [0, 7, Math.floor(g.next() * 2 ** 31), 2 ** 35 + 3]) {
      for (const n of [1, 3, 6, 4099]) {
        const z = await values(tl.randn([n], { seed }));
        const ref = randnRef(n, seed);
        // The kernel evaluates sqrt(-2 ln(1 - u)) and cos/sin(2 pi u) in float32 to a few ulp
        // (shaders/creation.wgsl avoids WGSL's loosely specified sin/cos/log near 1): |error|
        // <~ 1e-6 for |z| <= 5.8 (the largest radius 24-bit uniforms give). We allow 1e-5.
        assertWithin(z, ref.z, new Array(n).fill(1e-5), `seed ${seed} (rng seed ${g.seed}), n ${n}`);
      }
    }
    // mean and std apply to the same samples: 3 + 2 z, so twice the bound above plus a rounding of |3 + 2z| <~ 15.
    const seed = Math.floor(g.next() * 2 ** 31);
    const z = await values(tl.randn([1003], { seed, mean: 3, std: 2 }));
    assertWithin(
      z,
      Array.from(randnRef(1003, seed).z, (v) => 3 + 2 * v),
      new Array(1003).fill(3e-5),
      `seed ${seed}: randn mean 3 std 2`,
    );
  });

  it('100k samples: randn has mean 0 and std 1, rand has mean 1/2 and variance 1/12, within 5 sigma', async () => {
    const g = rng();
    const n = 100_000;
    const seed = Math.floor(g.next() * 2 ** 31);
    const z = await values(tl.randn([n], { seed }));
    let s = 0;
    let s2 = 0;
    for (const v of z) {
      s += v;
      s2 += v * v;
    }
    expect(
      z.find((v) => !Number.isFinite(v)),
      `seed ${seed}: a non-finite sample`,
    ).toBe(undefined);
    const mean = s / n;
    const std = Math.sqrt(s2 / n - mean * mean);
    // Standard errors: mean 1/sqrt(n) = 0.0032; std sqrt(1/(2n)) = 0.0022 (normal data). 5 sigma
    // bounds fail by chance with probability ~6e-7 each.
    expect(Math.abs(mean), `seed ${seed}: randn mean ${mean}`).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(std - 1), `seed ${seed}: randn std ${std}`).toBeLessThan(5 * Math.sqrt(1 / (2 * n)));

    const u = await values(tl.rand([n], { seed: seed + 1 }));
    const um = u.reduce((a, b) => a + b, 0) / n;
    const uv = u.reduce((a, b) => a + (b - um) ** 2, 0) / n;
    // Uniform [0, 1): mean 1/2 with standard error sqrt(1/12 / n) = 0.00091; variance 1/12 with
    // standard error sqrt((1/80 - 1/144) / n) = 0.00024.
    expect(Math.abs(um - 0.5), `seed ${seed + 1}: rand mean ${um}`).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(uv - 1 / 12), `seed ${seed + 1}: rand variance ${uv}`).toBeLessThan(5 * Math.sqrt((1 / 80 - 1 / 144) / n));
  });

  it('same seed, same numbers; calls without a seed draw successive streams; seed(n) resets the stream', async () => {
    const g = rng();
    const s = Math.floor(g.next() * 2 ** 31);
    const n = 37;
    expect(await values(tl.rand([n], { seed: s }))).toEqual(await values(tl.rand([n], { seed: s })));
    expect(await values(tl.randn([n], { seed: s }))).toEqual(await values(tl.randn([n], { seed: s })));

    tl.seed(s);
    const a = await values(tl.rand([n]));
    const b = await values(tl.rand([n]));
    const c = await values(tl.randn([n]));
    // Successive calls differ: stream 0, 1, 2 of the same key.
    expect(a).not.toEqual(b);
    assertEqualValues(a, randRef(n, s, 0), `seed ${s}: first call after seed()`);
    assertEqualValues(b, randRef(n, s, 1), `seed ${s}: second call after seed()`);
    assertWithin(c, randnRef(n, s, 2).z, new Array(n).fill(1e-5), `seed ${s}: third call (randn) after seed()`); // as in the randn test
    // A call with an explicit seed neither uses nor advances the global stream.
    const explicit = await values(tl.rand([n], { seed: s + 1 }));
    assertEqualValues(explicit, randRef(n, s + 1, 0), `seed ${s + 1}: explicit seed`);
    assertEqualValues(await values(tl.rand([n])), randRef(n, s, 3), `seed ${s}: fourth call after seed()`);
    // seed() again restarts from stream 0.
    tl.seed(s);
    expect(await values(tl.rand([n]))).toEqual(a);
    expect(await values(tl.rand([n]))).toEqual(b);
  });

  it('rand/randn/seed reject bad seeds, bounds and shapes, naming the argument', () => {
    expect(() => tl.rand([2], { seed: -1 })).toThrow('tellus: rand(shape, opts): seed: expected an integer >= 0, got -1');
    expect(() => tl.randn([2], { seed: 1.5 })).toThrow('tellus: randn(shape, opts): seed: expected an integer >= 0, got 1.5');
    expect(() => tl.seed(-3)).toThrow('tellus: seed(value): value: expected an integer >= 0, got -3');
    expect(() => tl.seed(NaN)).toThrow('tellus: seed(value): value: expected an integer >= 0, got NaN');
    expect(() => tl.rand([2], { low: NaN })).toThrow('tellus: rand(shape, opts): low: expected a finite number, got NaN');
    expect(() => tl.rand([2], { high: Infinity })).toThrow('tellus: rand(shape, opts): high: expected a finite number, got Infinity');
    expect(() => tl.randn([2], { mean: NaN })).toThrow('tellus: randn(shape, opts): mean: expected a finite number, got NaN');
    expect(() => tl.randn([2], { std: -Infinity })).toThrow('tellus: randn(shape, opts): std: expected a finite number, got -Infinity');
    expect(() => tl.rand([-1])).toThrow('tellus: rand(shape, opts): shape: expected an array of non-negative integers, got [-1]');
    expect(() => tl.randn([2.5])).toThrow('tellus: randn(shape, opts): shape: expected an array of non-negative integers, got [2.5]');
  });
});
