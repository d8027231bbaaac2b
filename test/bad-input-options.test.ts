// Every public function that takes an options object rejects a misspelt option and names the
// intended one: a silently ignored `pmlwidth` or `maxiter` gives a plausible but wrong result.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import * as nn from '../src/nn/index.js';
import { useDevice } from './helpers.js';

describe('unknown options are rejected with the closest valid name', () => {
  useDevice();

  const v = (): tl.Tensor => tl.full([12, 12], 2000);
  const acoustic = { dx: 5, dt: 0.0005, nt: 4, receiverLocations: [[[1, 1]]] };
  // [call as the user writes it, the misspelt key, the name it should suggest (or null)]
  const cases: [string, (bad: Record<string, unknown>) => unknown, string, string | null][] = [
    ['init', (o) => tl.init(o), 'adapterr', null],
    ['debug', (o) => tl.debug(o), 'poisonOutput', 'poisonOutputs'],
    ['tensor', (o) => tl.tensor([1, 2], o), 'dtpye', 'dtype'],
    ['rand', (o) => tl.rand([2], o), 'sead', 'seed'],
    ['randn', (o) => tl.randn([2], o), 'sdt', 'std'],
    ['pad', (o) => tl.pad(tl.ones([2]), [[1, 1]], o), 'mdoe', 'mode'],
    ['fft', (o) => tl.fft(tl.zeros([4, 2]), o), 'axsi', 'axis'],
    ['fft2', (o) => tl.fft2(tl.zeros([4, 4, 2]), o), 'axis', 'axes'],
    ['irfft2', (o) => tl.irfft2(tl.zeros([4, 3, 2]), o), 'size', null],
    ['Linear', (o) => new nn.Linear(2, 3, o), 'bais', 'bias'],
    ['Conv2d', (o) => new nn.Conv2d(1, 1, 3, o), 'pading', 'padding'],
    ['conv2d', (o) => nn.conv2d(tl.ones([1, 1, 4, 4]), tl.ones([1, 1, 3, 3]), null, o), 'strides', 'stride'],
    ['Dropout', (o) => new nn.Dropout(0.5, o), 'mcdropout', 'mcDropout'],
    ['SpectralConv2d', (o) => new nn.SpectralConv2d(1, 1, 2, 2, o), 'fusd', 'fused'],
    ['FNO2d', (o) => new nn.FNO2d({ inChannels: 1, outChannels: 1, modes1: 2, modes2: 2, ...o }), 'widht', 'width'],
    ['kaimingNormal', (o) => nn.kaimingNormal([3, 3], o), 'nonlinearty', 'nonlinearity'],
    ['xavierUniform', (o) => nn.xavierUniform([3, 3], o), 'gian', 'gain'],
    ['taylorTest', (o) => nn.taylorTest((x: tl.Tensor) => x.sum(), tl.ones([2]), o), 'h_0', 'h0'],
    [
      'dotTest',
      (o) =>
        nn.dotTest(
          (x) => x,
          (y) => y,
          [2],
          [2],
          o,
        ),
      'tolerance',
      null,
    ],
    ['acoustic2d', (o) => tl.acoustic2d(v(), { ...acoustic, ...o }), 'pmlwidth', 'pmlWidth'],
    ['acoustic2dWavefield', (o) => tl.acoustic2dWavefield(v(), { ...acoustic, ...o }), 'snapshotevery', 'snapshotEvery'],
    ['born2d', (o) => tl.born2d(v(), v(), { ...acoustic, ...o }), 'freesurface', 'freeSurface'],
    ['acoustic2dPlan', (o) => tl.acoustic2dPlan(v(), { ...acoustic, ...o }), 'acuracy', 'accuracy'],
    ['profile', (o) => tl.profile(() => tl.ones([2]), o), 'callsites', 'callSites'],
    ['calibrate', (o) => tl.calibrate(o), 'repeat', 'repeats'],
    ['SGD', (o) => new nn.SGD({ lr: 0.1, ...o }), 'momentun', 'momentum'],
    ['Adam', (o) => new nn.Adam({ lr: 0.1, ...o }), 'betas', 'beta1'],
    ['AdamW', (o) => new nn.AdamW({ lr: 0.1, ...o }), 'weight_decay', 'weightDecay'],
    ['lbfgs', (o) => nn.lbfgs((x: tl.Tensor) => [x.square().sum(), x.mul(2)], tl.ones([2]), o), 'maxiter', 'maxIter'],
  ];

  it.each(cases)('%s', async (name, call, bad, good) => {
    let message = '';
    try {
      await call({ [bad]: 1 });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message, `${name} with option '${bad}'`).toContain(`unknown option '${bad}'`);
    expect(message).toMatch(/^tellus: /);
    if (good) expect(message).toContain(`(did you mean '${good}'?)`);
    else expect(message).not.toContain('did you mean');
  });
});
