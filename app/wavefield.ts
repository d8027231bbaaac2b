// A live wavefield: tl.acoustic2dWavefield on a chosen model, its snapshots animated in a canvas,
// the final wavefield and the model as Vega-Lite figures (fieldSpec).
import * as tl from '../src/index.js';
import { fieldSpec, row } from '../src/viz/index.js';
import { WAVEFIELD_MODELS, type WavefieldModel, wavefieldOptions, wavefieldSurvey } from './problems.js';
import { byId, drawField, el, publish, run, show, startPage, status } from './ui.js';

const params = new URLSearchParams(location.search);
const model = (params.get('model') ?? 'layered') as WavefieldModel;

run(async () => {
  if (!WAVEFIELD_MODELS.includes(model)) throw new Error(`unknown model '${model}' (${WAVEFIELD_MODELS.join(', ')})`);
  const select = byId<HTMLSelectElement>('model');
  for (const m of WAVEFIELD_MODELS) select.append(el('option', m === model ? { value: m, selected: '' } : { value: m }, m));
  select.addEventListener('change', () => (location.search = `?model=${select.value}`));
  await startPage('wavefield.html');

  const s = wavefieldSurvey(model);
  drawField(byId('velocity'), s.v, s.nz, s.nx, 'viridis');
  status(`propagating ${s.nt} steps…`);
  const t0 = performance.now();
  const out = tl.tidy(() => tl.acoustic2dWavefield(tl.tensor(s.v, { shape: [s.nz, s.nx] }), wavefieldOptions(s)));
  const snapshots = out.snapshots!;
  const [receivers, wavefield, frames] = await Promise.all([out.receivers.data(), out.wavefield.data(), snapshots.data()]);
  const ms = performance.now() - t0;
  const nframes = snapshots.shape[1]!;
  for (const t of [out.receivers, out.wavefield, snapshots]) t.dispose();

  // One colour scale for the whole movie: the largest |u| of the final wavefield, so the waves stay
  // visible as they spread (the early frames near the source saturate).
  let peak = 0;
  for (let i = 0; i < wavefield.length; i++) peak = Math.max(peak, Math.abs(wavefield[i]!));
  const clip = peak || 1;
  const cells = s.nz * s.nx;
  let k = nframes - 1; // the first frame drawn is the last snapshot
  const movie = byId<HTMLCanvasElement>('movie');
  const frameLabel = byId('frame');
  const draw = (): void => {
    drawField(movie, frames.subarray(k * cells, (k + 1) * cells), s.nz, s.nx, 'rdbu', [-clip, clip]);
    frameLabel.textContent = `wavefield at step ${(k + 1) * s.snapshotEvery} of ${s.nt} (rdbu, ±${clip.toExponential(1)})`;
    k = (k + 1) % nframes;
  };
  draw();
  setInterval(draw, 80);

  const common = { dz: s.dx, dx: s.dx, width: 320 };
  await show(
    'final',
    row([
      fieldSpec(s.v, [s.nz, s.nx], { ...common, title: `${model} model`, units: 'v (m/s)' }),
      fieldSpec(wavefield, [s.nz, s.nx], { ...common, title: `wavefield after ${s.nt} steps`, units: 'u', cmap: 'rdbu' }),
    ]),
  );
  status(`done: ${s.nt} steps in ${ms.toFixed(0)} ms (read-back included), ${nframes} snapshots`);
  publish({
    ready: true,
    model,
    shape: [s.nz, s.nx],
    nt: s.nt,
    frames: nframes,
    receivers: Array.from(receivers),
    wavefield: Array.from(wavefield),
    ms,
  });
});
