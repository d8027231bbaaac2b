// What the pages share: engine start-up with the page header and adapter line, vega-embed, fields
// drawn into canvases, error display, and window.tellusPage, where each page puts the numbers it
// computed (test/app.test.ts reads them there).
import embed from 'vega-embed';
import * as tl from '../src/index.js';
import { type Colormap, type VegaLiteSpec, colormapRGBA, limits } from '../src/viz/index.js';

export const PAGES: { file: string; title: string; about: string }[] = [
  { file: 'index.html', title: 'Overview', about: 'the pages and the WebGPU adapter' },
  { file: 'wavefield.html', title: 'Wavefield', about: 'a live acoustic wavefield on a layered or Marmousi-like model' },
  { file: 'fwi.html', title: 'FWI', about: 'a tiny full-waveform inversion with Adam, figures updated every iteration' },
  { file: 'fno.html', title: 'FNO', about: 'FNO2d training curves and predictions for a periodic Poisson-type operator' },
  { file: 'workflows.html', title: 'Workflows', about: 'unrolled inversion, U-Net, PINNs and the FNO surrogate, run in the page' },
  { file: 'profiler.html', title: 'Profiler', about: "per-kernel GPU times, a timeline, and the run's Chrome/Perfetto trace" },
];

/** What a page exposes for tests and the curious: `ready` once its numbers are final. */
export type PageState = { ready: boolean; error?: string } & Record<string, unknown>;

declare global {
  interface Window {
    tellusPage: PageState;
  }
}

window.tellusPage = { ready: false };

/** Merges `state` into window.tellusPage. */
export function publish(state: Record<string, unknown>): void {
  window.tellusPage = { ...window.tellusPage, ...state };
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

/** The element with this id (the page's HTML declares it). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`tellus app: the page has no #${id}`);
  return e as T;
}

export function status(text: string): void {
  byId('status').textContent = text;
}

/** Shows the error on the page, records it on window.tellusPage and logs it (a test fails on it). */
export function fail(e: unknown): void {
  const msg = e instanceof Error ? e.message : String(e);
  const box = byId('status');
  box.textContent = `error: ${msg}`;
  box.className = 'error';
  publish({ error: msg });
  console.error(e);
}

/** Draws the header (title, navigation), starts the engine and prints the adapter line; returns its info. */
export async function startPage(file: string): Promise<tl.DeviceInfo> {
  const page = PAGES.find((p) => p.file === file);
  document.title = `Tellus: ${page?.title ?? file}`;
  const nav = el('nav');
  for (const p of PAGES) {
    const a = el('a', { href: `./${p.file}` }, p.title);
    if (p.file === file) a.className = 'current';
    nav.append(a);
  }
  document.body.prepend(nav);
  if (!('gpu' in navigator))
    throw new Error('this browser has no WebGPU (navigator.gpu); on Linux start Chrome with --enable-unsafe-webgpu');
  await tl.init();
  const info = tl.deviceInfo();
  const line = el('p', { class: 'adapter' }, `${info.description} (${info.isSoftware ? 'software' : 'hardware'} adapter, ${info.runtime})`);
  nav.after(line);
  return info;
}

/** Embeds a Vega-Lite spec into the element with this id (SVG, no action menu). */
export async function show(id: string, spec: VegaLiteSpec): Promise<void> {
  await embed(byId(id), spec, { actions: false, renderer: 'svg' });
}

/** A row-major [rows, cols] field into a canvas of one pixel per cell (CSS scales it up). */
export function drawField(
  canvas: HTMLCanvasElement,
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  cmap: Colormap,
  range?: [number, number],
): void {
  const [vmin, vmax] = range ?? limits(values, cmap === 'rdbu');
  canvas.width = cols;
  canvas.height = rows;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('tellus app: no 2D canvas context');
  ctx.putImageData(new ImageData(Uint8ClampedArray.from(colormapRGBA(values, cmap, vmin, vmax)), cols, rows), 0, 0);
}

/** Runs a page's main function, showing any error. */
export function run(main: () => Promise<void>): void {
  main().catch(fail);
}
