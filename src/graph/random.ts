// The one seeded host generator (mulberry32): uniform numbers in [0, 1) from 32-bit integer
// arithmetic only, so a seed gives the same sequence in every JS engine (Node, Deno, Chromium).
// Model generators, data sets and the examples draw from it where a run must replay exactly.
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
