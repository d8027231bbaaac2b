// U-Net (Ronneberger et al. 2015) for [N, C, H, W] images: an encoder of conv blocks and 2x
// poolings, a decoder of 2x upsamplings (bilinear then a 1x1 conv, or a transposed conv) with skip
// connections concatenated from the encoder, and a 1x1 output conv. Depth, width, skips, norm,
// pooling and upsampling are options. ConvTranspose2d here is the non-overlapping kind a U-Net
// uses (kernel = stride, no padding): each input pixel becomes a kernel-sized patch.
import { argError, checkOptions, optionNames } from '../graph/options.js';
import type { Tensor } from '../graph/tensor.js';
import { rand } from '../ops/creation.js';
import { checkTensor } from '../ops/emit.js';
import { add, concat, matmul, permute, relu, reshape } from '../autodiff/ops.js';
import { kaimingUniform } from './init.js';
import { Conv1x1, Conv2d, Dropout } from './layers.js';
import { Module } from './module.js';
import { BatchNorm2d, GroupNorm } from './norm.js';
import { MaxPool2d, AvgPool2d, UpsampleBilinear2d } from './pool.js';

/**
 * Transposed convolution with kernel = stride = k and no padding: x [N, I, H, W] and weight
 * [I, O, k, k] (PyTorch's layout) give [N, O, kH, kW], y[n, o, k a + i, k b + j] = Σ_c x[n, c, a, b] w[c, o, i, j].
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  const what = 'convTranspose2d(x, weight, bias)';
  checkTensor(x, what, 'x');
  checkTensor(weight, what, 'weight');
  if (x.rank !== 4) throw argError(what, 'x', 'a tensor [N, C, H, W]', x, Error);
  if (weight.rank !== 4 || weight.shape[2] !== weight.shape[3] || weight.shape[0] !== x.shape[1])
    throw argError(what, 'weight', `a tensor [${x.shape[1]}, out, k, k]`, weight, Error);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [, o, k] = weight.shape as [number, number, number, number];
  if (bias !== null && (bias.rank !== 1 || bias.shape[0] !== o)) throw argError(what, 'bias', `a tensor of shape [${o}]`, bias, Error);
  // [O k k, I] @ [N, I, H W] -> [N, O, k, k, H, W] -> [N, O, H, k, W, k] -> [N, O, kH, kW].
  const z = matmul(reshape(permute(weight, [1, 2, 3, 0]), [o * k * k, c]), reshape(x, [n, c, h * w]));
  const y = reshape(permute(reshape(z, [n, o, k, k, h, w]), [0, 1, 4, 2, 5, 3]), [n, o, k * h, k * w]);
  return bias ? add(y, reshape(bias, [o, 1, 1])) : y;
}

export class ConvTranspose2d extends Module {
  weight: Tensor;
  bias: Tensor;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize = 2,
    opts: { seed?: number } = {},
  ) {
    super();
    // PyTorch's default init; its fan_in is dim 1 of this [in, out, k, k] weight times k k, as kaimingUniform computes it.
    const fan = outChannels * kernelSize * kernelSize;
    this.weight = kaimingUniform([inChannels, outChannels, kernelSize, kernelSize], {
      a: Math.sqrt(5),
      ...(opts.seed === undefined ? {} : { seed: opts.seed }),
    });
    const b = 1 / Math.sqrt(fan);
    this.bias = rand([outChannels], { low: -b, high: b, ...(opts.seed === undefined ? {} : { seed: opts.seed + 1 }) });
  }
  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias);
  }
}

export interface UNetOptions {
  /** Number of 2x downsamplings (default 2); H and W must be multiples of 2^depth. */
  depth?: number;
  /** Channels of the first level, doubled at each level down (default 16). */
  width?: number;
  /** Concatenate encoder features into the decoder (default true). */
  skip?: boolean;
  norm?: 'group' | 'batch' | 'none';
  pool?: 'max' | 'avg';
  /** 'bilinear' then a 1x1 conv (default), or a 2x2 transposed conv. */
  up?: 'bilinear' | 'transpose';
  /** Dropout probability after the bottleneck and each decoder block (default 0: no Dropout module). */
  dropout?: number;
  /** Keep that dropout active in eval mode (Monte Carlo dropout, Dropout's mcDropout). Default false. */
  mcDropout?: boolean;
  seed?: number;
}
const UNET_OPTIONS = optionNames<UNetOptions>()('depth', 'width', 'skip', 'norm', 'pool', 'up', 'dropout', 'mcDropout', 'seed');

/** Two 3x3 convs, each followed by the norm and a ReLU. */
class ConvBlock extends Module {
  layers: Module[];
  constructor(cin: number, cout: number, norm: UNetOptions['norm'], seed: number) {
    super();
    const normOf = (ch: number): Module[] =>
      norm === 'batch' ? [new BatchNorm2d(ch)] : norm === 'none' ? [] : [new GroupNorm(ch % 4 === 0 ? 4 : 1, ch)];
    this.layers = [
      new Conv2d(cin, cout, 3, { padding: 1, seed }),
      ...normOf(cout),
      new Conv2d(cout, cout, 3, { padding: 1, seed: seed + 2 }),
      ...normOf(cout),
    ];
  }
  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, m) => (m instanceof Conv2d ? m.forward(h) : relu(m.forward(h))), x);
  }
}

export class UNet extends Module {
  down: Module[];
  up: Module[];
  decode: Module[];
  pool: Module;
  out: Conv1x1;
  drop: Dropout | null;
  readonly depth: number;
  readonly skip: boolean;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    opts: UNetOptions = {},
  ) {
    super();
    const fn = 'UNet(inChannels, outChannels, opts)';
    const o = checkOptions(opts, UNET_OPTIONS, fn);
    const depth = o.depth ?? 2;
    const width = o.width ?? 16;
    if (!Number.isInteger(depth) || depth < 0 || depth > 8) throw argError(fn, 'opts.depth', 'an integer in [0, 8]', o.depth, RangeError);
    if (!Number.isInteger(width) || width < 1) throw argError(fn, 'opts.width', 'a positive integer', o.width, RangeError);
    for (const [k, allowed] of [
      ['norm', ['group', 'batch', 'none']],
      ['pool', ['max', 'avg']],
      ['up', ['bilinear', 'transpose']],
    ] as const) {
      const v = o[k];
      if (v !== undefined && !(allowed as readonly string[]).includes(v))
        throw argError(fn, `opts.${k}`, allowed.map((a) => `'${a}'`).join(' or '), v);
    }
    this.depth = depth;
    this.skip = o.skip ?? true;
    const seed = o.seed ?? 0;
    const ch = (i: number): number => width * 2 ** i;
    this.down = Array.from({ length: depth + 1 }, (_, i) => new ConvBlock(i === 0 ? inChannels : ch(i - 1), ch(i), o.norm, seed + 10 * i));
    this.pool = o.pool === 'avg' ? new AvgPool2d(2) : new MaxPool2d(2);
    this.up = Array.from({ length: depth }, (_, i) =>
      o.up === 'transpose'
        ? new ConvTranspose2d(ch(i + 1), ch(i), 2, { seed: seed + 100 + i })
        : new UpBilinear(ch(i + 1), ch(i), seed + 100 + i),
    );
    this.decode = Array.from({ length: depth }, (_, i) => new ConvBlock((this.skip ? 2 : 1) * ch(i), ch(i), o.norm, seed + 200 + 10 * i));
    this.out = new Conv1x1(ch(0), outChannels, { seed: seed + 300 });
    const p = o.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw argError(fn, 'opts.dropout', 'a number in [0, 1)', o.dropout, RangeError);
    this.drop = p > 0 ? new Dropout(p, { mcDropout: o.mcDropout ?? false }) : null;
  }
  forward(x: Tensor): Tensor {
    const what = `UNet(${this.inChannels}, ${this.outChannels}).forward(x)`;
    checkTensor(x, what, 'x');
    const m = 2 ** this.depth;
    if (x.rank !== 4 || x.shape[1] !== this.inChannels || x.shape[2]! % m !== 0 || x.shape[3]! % m !== 0)
      throw argError(what, 'x', `a tensor [N, ${this.inChannels}, H, W] with H and W multiples of ${m}`, x);
    const skips: Tensor[] = [];
    let h = x;
    for (let i = 0; i <= this.depth; i++) {
      h = this.down[i]!.forward(i === 0 ? h : this.pool.forward(h));
      skips.push(h);
    }
    if (this.drop) h = this.drop.forward(h);
    for (let i = this.depth - 1; i >= 0; i--) {
      const u = this.up[i]!.forward(h);
      h = this.decode[i]!.forward(this.skip ? concat([skips[i]!, u], 1) : u);
      if (this.drop) h = this.drop.forward(h);
    }
    return this.out.forward(h);
  }
}

/** 2x bilinear upsampling, then a 1x1 conv to the level's channels. */
class UpBilinear extends Module {
  up = new UpsampleBilinear2d(2);
  conv: Conv1x1;
  constructor(cin: number, cout: number, seed: number) {
    super();
    this.conv = new Conv1x1(cin, cout, { seed });
  }
  forward(x: Tensor): Tensor {
    return this.conv.forward(this.up.forward(x));
  }
}
