// Figures: Vega-Lite specs for fields and curves (browser and Node). Node rendering to SVG and PNG
// lives in render-node.ts, outside this entry, so browser bundles never pull in resvg.
export { fieldSpec, lineSpec, row, type FieldOptions, type LineOptions, type Series, type VegaLiteSpec } from './figures.js';
export { colormapRGBA, fieldPngUrl, limits, type Colormap } from './colormap.js';
