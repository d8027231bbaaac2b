// The L-BFGS memory on the GPU, and the line search's scalar probe (shaders/lbfgs.wgsl). Computing
// a direction needs no read-back: the two-loop recursion's dot products are reduced on the device
// and handed from dispatch to dispatch. Written with generic ops the recursion took ~8 dispatches
// per pair (mul + sum for each dot, the scalar arithmetic, the update); here it is 2 per pair for
// large n and 1 in all for small n, where dispatch overhead dominates.
import type { Tensor } from '../graph/tensor.js';
import type { Storage } from '../graph/scheduler.js';
import { empty } from '../ops/creation.js';
import { emit } from '../ops/emit.js';
import lbfgsWgsl from '../../shaders/lbfgs.wgsl';
import { registerShader } from '../gpu/kernels.js';

registerShader('lbfgs.wgsl', lbfgsWgsl);

const NONE = 3;
/** Up to this size (and m <= 64) one workgroup runs the whole recursion in one dispatch. */
const LOCAL_MAX_N = 4096;

export class History {
  /** Small n: pairs as rows of two [m, n] ring buffers. Large n: one buffer per vector, so n is limited only like x. */
  private readonly local: boolean;
  private ringS: Tensor | null = null;
  private ringY: Tensor | null = null;
  private readonly vecS: Tensor[] = [];
  private readonly vecY: Tensor[] = [];
  private work: Tensor | null = null;
  private probeWork: Tensor | null = null;
  /** Ring slot of the oldest pair; pairs are logical 0 (oldest) .. length - 1 (newest). */
  private start = 0;
  private rho: number[] = [];
  private readonly groups: number;

  constructor(
    private readonly m: number,
    private readonly n: number,
  ) {
    this.groups = Math.max(1, Math.min(64, Math.ceil(n / 64)));
    this.local = n <= LOCAL_MAX_N && m <= 64;
  }

  get length(): number {
    return this.rho.length;
  }

  private slot(i: number): number {
    return (this.start + i) % this.m;
  }

  private st(t: Tensor): Storage {
    return t.storageFor('lbfgs');
  }

  private workBuffer(): Tensor {
    return (this.work ??= empty([192 + this.m]));
  }

  /** Adds the pair s = alpha d, y = gNew - gOld with rho = 1 / s.y, overwriting the oldest when full. */
  push(alpha: number, d: Tensor, gNew: Tensor, gOld: Tensor, sy: number): void {
    if (this.rho.length === this.m) {
      this.start = (this.start + 1) % this.m;
      this.rho.shift();
    }
    this.rho.push(1 / sy);
    const slot = this.slot(this.rho.length - 1);
    let sOut: Tensor;
    let yOut: Tensor;
    if (this.local) {
      sOut = this.ringS ??= empty([this.m * this.n]);
      yOut = this.ringY ??= empty([this.m * this.n]);
    } else {
      sOut = this.vecS[slot] ??= empty([this.n]);
      yOut = this.vecY[slot] ??= empty([this.n]);
    }
    emit({
      file: 'lbfgs.wgsl',
      entry: 'push',
      label: 'lbfgs.push',
      bind: {
        g: this.st(gNew),
        g_old: this.st(gOld),
        d_in: this.st(d),
        s_out: this.st(sOut),
        y_out: this.st(yOut),
        work: this.st(this.workBuffer()),
      },
      uniforms: { n: this.n, groups: this.groups, row: this.local ? slot : 0, alpha },
      grid: [this.groups, 1, 1],
      bytes: 20 * this.n,
      flops: 4 * this.n,
    });
  }

  /** d = -H g (a new tensor of g's shape) by the two-loop recursion with H0 = (s.y / y.y) I of the newest pair. */
  direction(g: Tensor): Tensor {
    const d = empty(g.shape);
    const k = this.rho.length;
    if (this.local) {
      emit({
        file: 'lbfgs.wgsl',
        entry: 'twoloop_local',
        label: 'lbfgs.twoloop',
        // Before the first pair there are no ring buffers yet: bind g in their place (k = 0 reads neither).
        bind: { g: this.st(g), q: this.st(d), S: this.st(this.ringS ?? g), Y: this.st(this.ringY ?? g) },
        uniforms: { n: this.n, k, start: this.start, m: this.m, rho: this.rho },
        grid: [1, 1, 1],
        bytes: 4 * this.n * (3 + 4 * k),
        flops: 8 * k * this.n,
      });
      return d;
    }
    const base = {
      n: this.n,
      groups: this.groups,
      in_slot: NONE,
      out_slot: 0,
      rho: 0,
      vsel: 0,
      aidx: 0,
      init: 0,
      gamma: 0,
      rho_new: 0,
      negate: 0,
      dot: 0,
    };
    let slot = 0;
    // V: the vector added to q, D: the vector dotted with the result (g stands in when unused).
    const step = (u: Partial<typeof base>, V: Tensor | undefined, D: Tensor | undefined): void => {
      const out = u.dot ? 1 - slot : slot;
      emit({
        file: 'lbfgs.wgsl',
        entry: 'step',
        label: 'lbfgs.twoloop',
        bind: { g: this.st(g), q: this.st(d), V: this.st(V ?? g), D: this.st(D ?? g), work: this.st(this.workBuffer()) },
        uniforms: { ...base, ...u, out_slot: out },
        grid: [this.groups, 1, 1],
        bytes: 12 * this.n,
        flops: 4 * this.n,
      });
      slot = out;
    };
    const S = (i: number): Tensor => this.vecS[this.slot(i)]!;
    const Y = (i: number): Tensor => this.vecY[this.slot(i)]!;
    if (k === 0) {
      step({ init: 1, negate: 1 }, undefined, undefined);
      return d;
    }
    // Loop 1, newest to oldest: alpha_i = rho_i s_i.q, q -= alpha_i y_i; then r = gamma q.
    step({ init: 1, dot: 1 }, undefined, S(k - 1));
    for (let i = k - 1; i >= 0; i--) {
      const last = i === 0;
      step(
        { in_slot: slot, rho: this.rho[i]!, vsel: 1, aidx: i, gamma: last ? 1 : 0, rho_new: this.rho[k - 1]!, dot: 1 },
        Y(i),
        last ? Y(0) : S(i - 1),
      );
    }
    // Loop 2, oldest to newest: beta_i = rho_i y_i.r, r += (alpha_i - beta_i) s_i; d = -r.
    for (let i = 0; i < k; i++) {
      const last = i === k - 1;
      step(
        { in_slot: slot, rho: this.rho[i]!, vsel: 2, aidx: i, negate: last ? 1 : 0, dot: last ? 0 : 1 },
        S(i),
        last ? undefined : Y(i + 1),
      );
    }
    return d;
  }

  /**
   * [loss, g.d, |g|_inf, g0.d, |d|_inf] as one 5-element tensor, for a single read-back per
   * line-search trial (g0.d and |d|_inf only when g0 is given).
   */
  probe(loss: Tensor, g: Tensor, d: Tensor, g0: Tensor | null): Tensor {
    const out = empty([5]);
    const work = (this.probeWork ??= empty([4 * 64]));
    const uniforms = { n: this.n, groups: this.groups, first: g0 ? 1 : 0, loss_offset: loss.offset };
    emit({
      file: 'lbfgs.wgsl',
      entry: 'probe_partial',
      label: 'lbfgs.probe',
      bind: { g: this.st(g), d_in: this.st(d), g_old: this.st(g0 ?? d), work: this.st(work) },
      uniforms,
      grid: [this.groups, 1, 1],
      bytes: 12 * this.n,
      flops: 4 * this.n,
    });
    emit({
      file: 'lbfgs.wgsl',
      entry: 'probe_final',
      label: 'lbfgs.probe',
      bind: { loss_in: this.st(loss), probe_out: this.st(out), work: this.st(work) },
      uniforms,
      grid: [1, 1, 1],
    });
    return out;
  }

  /** Forgets every pair (the buffers are kept for reuse). */
  reset(): void {
    this.rho = [];
    this.start = 0;
  }

  dispose(): void {
    for (const t of [this.ringS, this.ringY, this.work, this.probeWork, ...this.vecS, ...this.vecY]) t?.dispose();
    this.ringS = this.ringY = this.work = this.probeWork = null;
    this.vecS.length = this.vecY.length = 0;
    this.rho = [];
  }
}
