// Overview: links to the pages and the WebGPU adapter Tellus runs on (tl.deviceInfo()).
import { PAGES, byId, el, publish, run, startPage, status } from './ui.js';

const LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
];

run(async () => {
  const list = byId('pages');
  for (const p of PAGES.slice(1)) {
    const li = el('li');
    li.append(el('a', { href: `./${p.file}` }, p.title), ` — ${p.about}`);
    list.append(li);
  }
  const info = await startPage('index.html');
  const rows: [string, string][] = [
    ['description', info.description],
    ['vendor / architecture', `${info.vendor || '?'} / ${info.architecture || '?'}`],
    ['software adapter', String(info.isSoftware)],
    ['runtime', info.runtime],
    ['timestamp-query / shader-f16 / subgroups', [info.hasTimestampQuery, info.hasShaderF16, info.hasSubgroups].join(' / ')],
    ...LIMITS.map((k): [string, string] => [k, String(info.limits[k] ?? 'n/a')]),
  ];
  const table = byId('adapter');
  for (const [k, v] of rows) {
    const tr = el('tr');
    tr.append(el('th', {}, k), el('td', {}, v));
    table.append(tr);
  }
  status('ready');
  const limits = Object.fromEntries(LIMITS.map((k) => [k, info.limits[k]]));
  publish({ ready: true, description: info.description, isSoftware: info.isSoftware, runtime: info.runtime, limits, rows: rows.length });
});
