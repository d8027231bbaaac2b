// Batched 1D FFTs by mixed-radix Stockham passes (radix 2, 3, 4, 5, 8, and 64 for `fft_pass`;
// autosort, so no bit reversal) with twiddles from a table computed on the CPU in float64
// (src/ops/fft-plan.ts).
// Two entry points share the butterflies and the load/store modes:
//  * `fft` (GPUs): a workgroup loads lines of up to 1024 values into shared memory and runs every
//    pass there, ping-ponging between two halves with one barrier per pass;
//  * `fft_pass` (CPU adapters): one dispatch per pass, one invocation per butterfly, through global
//    memory. On SwiftShader a workgroup with 16 KiB of shared memory costs ~1 ms before any work
//    (WGSL zero-initializes it) and barriers are fiber switches; private per-line arrays measured
//    several times slower than passes through global memory, which stays in the CPU's caches.
//
// Both serve every transform the host plans (src/ops/fft.ts):
//  * inverse transforms conjugate on the way in and out (conj(F conj(x)) = n F^-1 x), so the
//    passes only ever run the forward butterflies;
//  * on GPUs longer lines are split in four steps (N = N1 N2: N2 transforms of length N1 with a
//    twiddle, then N1 of length N2); `pos_dim` names the batch dim whose coordinate is the position
//    of the line inside the long one, and `load_pos` / `store_pos` map (coordinate, element) to
//    positions;
//  * Bluestein (chirp-z) transforms of any length multiply by tables on load and store (`lmul`,
//    `smul`) around two power-of-small-prime FFTs;
//  * real input (rfft), Hermitian half-spectrum input (irfft), real output and truncated outputs
//    (the half spectrum) are load and store modes, so none of them costs a pass of its own.

struct Params {
  n: u32,                       // line length of this dispatch (<= 1024 for `fft`)
  lines: u32,
  lpw: u32,                     // `fft`: lines per workgroup (lpw * n <= 1024)
  npass: u32,                   // `fft`: number of passes
  radix: array<vec4<u32>, 4>,   // `fft`: radix of each pass, at most 16
  ns: u32,                      // `fft_pass`: product of the radices of earlier passes (radix: override R)
  tw_line: u32,                 // table offset of W_n^j, j < n
  flags: u32,                   // `fft`: the modes (F_* below); `fft_pass` takes them as FLAGS
  nlog: u32,                    // logical length: positions >= nlog read as 0; the Hermitian mirror
  in_len: u32,                  // input elements present along the line (zero padding beyond)
  out_len: u32,                 // positions stored (the half spectrum, a Bluestein result)
  lmul: u32,                    // table offset of the load multiplier, by position
  smul: u32,                    // table offset of the store multiplier, by position
  big_n: u32,                   // four-step twiddle W_big_n^(coord * k) on store, when F_BIG
  big_fine: u32,                // table offset of W_big_n^j, j < 1024
  big_coarse: u32,              // table offset of W_big_n^(1024 j)
  pos_dim: u32,                 // batch dim holding the position coordinate (4: none)
  bshape: vec4<u32>,            // batch dims, last fastest; product = lines
  in_bstride: vec4<i32>,        // float strides of the batch dims (0 for pos_dim)
  out_bstride: vec4<i32>,
  load_pos: vec2<u32>,          // position = coord * x + element * y
  store_pos: vec2<u32>,
  in_off: i32,
  in_estride: i32,              // float stride between positions
  in_pstride: i32,              // float stride from re to im
  out_off: i32,
  out_estride: i32,
  scale: f32,
  // Conjugations as signs of the imaginary part, not modes (one pipeline serves both directions):
  // of the value read (before lmul), after lmul, of the result (before smul), after smul.
  conj: vec4<f32>,
}

// Modes. `fft_pass` takes them as the override FLAGS: SwiftShader runs both sides of any branch it
// cannot prove uniform (masked SIMD), so uniform flags made every invocation pay for every mode
// (20x slower); folded at pipeline creation, only the chosen path is compiled. `fft` reads them from
// the uniform `flags` (UNIFORM_FLAGS): GPUs branch on uniforms for free, and the one big pipeline
// (~3 s to compile on SwiftShader) is built once instead of once per combination.
override UNIFORM_FLAGS: bool = false;
override FLAGS: u32 = 0u;
override R: u32 = 2u;        // fft_pass: the radix of its pass

const F_IN_REAL = 16u;
const F_IN_HERM = 32u;
const F_OUT_REAL = 64u;
const F_LOAD_ELEM = 128u;  // consecutive threads load consecutive elements of a line (else: of consecutive lines)
const F_STORE_ELEM = 256u;
const F_BIG = 512u;
const F_LMUL = 1024u;
const F_SMUL = 2048u;
const F_FIRST = 4096u;     // fft_pass: read x through the load modes (else: the scratch layout)
const F_LAST = 8192u;      // fft_pass: write y through the store modes

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> tw: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}
fn conj(a: vec2<f32>) -> vec2<f32> { return vec2<f32>(a.x, -a.y); }
// -i * a
fn mul_mi(a: vec2<f32>) -> vec2<f32> { return vec2<f32>(a.y, -a.x); }
fn has(f: u32) -> bool {
  if (UNIFORM_FLAGS) { return (p.flags & f) != 0u; }
  return (FLAGS & f) != 0u;
}

struct Line {
  in_base: i32,
  out_base: i32,
  coord: u32,
}

fn line_of(l: u32) -> Line {
  // Unrolled: constant component indices, no loop.
  let c3 = l % p.bshape.w;
  let r3 = l / p.bshape.w;
  let c2 = r3 % p.bshape.z;
  let r2 = r3 / p.bshape.z;
  let c1 = r2 % p.bshape.y;
  let c0 = r2 / p.bshape.y;
  let c = vec4<i32>(vec4<u32>(c0, c1, c2, c3));
  let pos = select(0u, vec4<u32>(c0, c1, c2, c3)[min(p.pos_dim, 3u)], p.pos_dim < 4u);
  return Line(p.in_off + dot(c, p.in_bstride), p.out_off + dot(c, p.out_bstride), pos);
}

fn load_value(ln: Line, m: u32) -> vec2<f32> {
  let g = ln.coord * p.load_pos.x + m * p.load_pos.y;
  var src = g;
  var mirror = false;
  if (has(F_IN_HERM) && 2u * g > p.nlog) {
    src = p.nlog - g;
    mirror = true;
  }
  var v = vec2<f32>(0.0);
  if (g < p.nlog && src < p.in_len) {
    let a = ln.in_base + i32(src) * p.in_estride;
    if (has(F_IN_REAL)) { v = vec2<f32>(x[a], 0.0); }
    else { v = vec2<f32>(x[a], x[a + p.in_pstride]); }
    if (mirror) { v = conj(v); }
    v.y *= p.conj.x;
    if (has(F_LMUL)) { v = cmul(v, tw[p.lmul + g]); }
    v.y *= p.conj.y;
  }
  return v;
}

fn big_twiddle(e: u32) -> vec2<f32> {
  return cmul(tw[p.big_coarse + e / 1024u], tw[p.big_fine + e % 1024u]);
}

fn store_value(ln: Line, m: u32, value: vec2<f32>) {
  let g = ln.coord * p.store_pos.x + m * p.store_pos.y;
  if (g >= p.out_len) { return; }
  var v = value;
  v.y *= p.conj.z;
  if (has(F_SMUL)) { v = cmul(v, tw[p.smul + g]); }
  v.y *= p.conj.w;
  if (has(F_BIG)) { v = cmul(v, big_twiddle((ln.coord * m) % p.big_n)); }
  v *= p.scale;
  let a = ln.out_base + i32(g) * p.out_estride;
  y[a] = v.x;
  if (!has(F_OUT_REAL)) { y[a + 1] = v.y; }
}

// Local (line, element) of the i-th value a workgroup moves, in the order that makes
// consecutive threads touch consecutive addresses.
fn split(i: u32, elem_fastest: bool) -> vec2<u32> {
  if (elem_fastest) { return vec2<u32>(i / p.n, i % p.n); }
  return vec2<u32>(i % p.lpw, i / p.lpw);
}

// Radix-r DFTs (W_r = exp(-2 pi i / r)) of inputs that are already twiddled.
fn dft2(a0: vec2<f32>, a1: vec2<f32>) -> array<vec2<f32>, 2> {
  return array<vec2<f32>, 2>(a0 + a1, a0 - a1);
}

const S3 = 0.86602540378443865;    // sin(2 pi / 3)

fn dft3(a0: vec2<f32>, a1: vec2<f32>, a2: vec2<f32>) -> array<vec2<f32>, 3> {
  let t1 = a1 + a2;
  let t2 = a0 - 0.5 * t1;
  let t3 = mul_mi(a1 - a2) * S3;
  return array<vec2<f32>, 3>(a0 + t1, t2 + t3, t2 - t3);
}

fn dft4(a0: vec2<f32>, a1: vec2<f32>, a2: vec2<f32>, a3: vec2<f32>) -> array<vec2<f32>, 4> {
  let s02 = a0 + a2;
  let d02 = a0 - a2;
  let s13 = a1 + a3;
  let d13 = mul_mi(a1 - a3);
  return array<vec2<f32>, 4>(s02 + s13, d02 + d13, s02 - s13, d02 - d13);
}

const C51 = 0.30901699437494742;   // cos(2 pi / 5)
const C52 = -0.80901699437494742;  // cos(4 pi / 5)
const S51 = 0.95105651629515357;   // sin(2 pi / 5)
const S52 = 0.58778525229247313;   // sin(4 pi / 5)

fn dft5(a0: vec2<f32>, a1: vec2<f32>, a2: vec2<f32>, a3: vec2<f32>, a4: vec2<f32>) -> array<vec2<f32>, 5> {
  let b1 = a1 + a4;
  let b2 = a2 + a3;
  let d1 = mul_mi(a1 - a4);
  let d2 = mul_mi(a2 - a3);
  let c1 = a0 + C51 * b1 + C52 * b2;
  let c2 = a0 + C52 * b1 + C51 * b2;
  let s1 = S51 * d1 + S52 * d2;
  let s2 = S52 * d1 - S51 * d2;
  return array<vec2<f32>, 5>(a0 + b1 + b2, c1 + s1, c2 + s2, c2 - s2, c1 - s1);
}

const R2 = 0.70710678118654752;

// Two radix-4 DFTs of the even and odd inputs, combined with W_8^k.
fn dft8(a0: vec2<f32>, a1: vec2<f32>, a2: vec2<f32>, a3: vec2<f32>, a4: vec2<f32>, a5: vec2<f32>, a6: vec2<f32>, a7: vec2<f32>) -> array<vec2<f32>, 8> {
  let ev = dft4(a0, a2, a4, a6);
  let od = dft4(a1, a3, a5, a7);
  // W_8 = (1 - i) / sqrt2, W_8^2 = -i, W_8^3 = (-1 - i) / sqrt2.
  let w1 = vec2<f32>(od[1].x + od[1].y, od[1].y - od[1].x) * R2;
  let w2 = mul_mi(od[2]);
  let w3 = vec2<f32>(od[3].y - od[3].x, -od[3].x - od[3].y) * R2;
  return array<vec2<f32>, 8>(ev[0] + od[0], ev[1] + w1, ev[2] + w2, ev[3] + w3, ev[0] - od[0], ev[1] - w1, ev[2] - w2, ev[3] - w3);
}

// W_64^j, j < 64, for the radix-64 pass (constant indices fold).
const W64 = array<vec2<f32>, 64>(
  vec2<f32>(1, -0), vec2<f32>(0.99518472667219693, -0.098017140329560604),
  vec2<f32>(0.98078528040323043, -0.19509032201612825), vec2<f32>(0.95694033573220882, -0.29028467725446233),
  vec2<f32>(0.92387953251128674, -0.38268343236508978), vec2<f32>(0.88192126434835505, -0.47139673682599764),
  vec2<f32>(0.83146961230254524, -0.55557023301960218), vec2<f32>(0.77301045336273699, -0.63439328416364549),
  vec2<f32>(0.70710678118654757, -0.70710678118654746), vec2<f32>(0.63439328416364549, -0.77301045336273699),
  vec2<f32>(0.55557023301960229, -0.83146961230254524), vec2<f32>(0.47139673682599781, -0.88192126434835494),
  vec2<f32>(0.38268343236508984, -0.92387953251128674), vec2<f32>(0.29028467725446233, -0.95694033573220894),
  vec2<f32>(0.19509032201612833, -0.98078528040323043), vec2<f32>(0.09801714032956077, -0.99518472667219682),
  vec2<f32>(6.123233995736766e-17, -1), vec2<f32>(-0.098017140329560645, -0.99518472667219693),
  vec2<f32>(-0.19509032201612819, -0.98078528040323043), vec2<f32>(-0.29028467725446216, -0.95694033573220894),
  vec2<f32>(-0.38268343236508973, -0.92387953251128674), vec2<f32>(-0.4713967368259977, -0.88192126434835505),
  vec2<f32>(-0.55557023301960196, -0.83146961230254546), vec2<f32>(-0.63439328416364538, -0.7730104533627371),
  vec2<f32>(-0.70710678118654746, -0.70710678118654757), vec2<f32>(-0.77301045336273699, -0.63439328416364549),
  vec2<f32>(-0.83146961230254535, -0.55557023301960218), vec2<f32>(-0.88192126434835494, -0.47139673682599786),
  vec2<f32>(-0.92387953251128674, -0.38268343236508989), vec2<f32>(-0.95694033573220882, -0.29028467725446239),
  vec2<f32>(-0.98078528040323043, -0.19509032201612861), vec2<f32>(-0.99518472667219682, -0.098017140329560826),
  vec2<f32>(-1, -1.2246467991473532e-16), vec2<f32>(-0.99518472667219693, 0.09801714032956059),
  vec2<f32>(-0.98078528040323043, 0.19509032201612836), vec2<f32>(-0.95694033573220894, 0.29028467725446211),
  vec2<f32>(-0.92387953251128685, 0.38268343236508967), vec2<f32>(-0.88192126434835505, 0.47139673682599764),
  vec2<f32>(-0.83146961230254546, 0.55557023301960196), vec2<f32>(-0.7730104533627371, 0.63439328416364527),
  vec2<f32>(-0.70710678118654768, 0.70710678118654746), vec2<f32>(-0.63439328416364593, 0.77301045336273666),
  vec2<f32>(-0.55557023301960218, 0.83146961230254524), vec2<f32>(-0.47139673682599786, 0.88192126434835494),
  vec2<f32>(-0.38268343236509034, 0.92387953251128652), vec2<f32>(-0.29028467725446244, 0.95694033573220882),
  vec2<f32>(-0.19509032201612866, 0.98078528040323032), vec2<f32>(-0.098017140329560451, 0.99518472667219693),
  vec2<f32>(-1.8369701987210297e-16, 1), vec2<f32>(0.09801714032956009, 0.99518472667219693),
  vec2<f32>(0.1950903220161283, 0.98078528040323043), vec2<f32>(0.29028467725446205, 0.95694033573220894),
  vec2<f32>(0.38268343236509, 0.92387953251128663), vec2<f32>(0.47139673682599759, 0.88192126434835505),
  vec2<f32>(0.55557023301960184, 0.83146961230254546), vec2<f32>(0.6343932841636456, 0.77301045336273688),
  vec2<f32>(0.70710678118654735, 0.70710678118654768), vec2<f32>(0.77301045336273666, 0.63439328416364593),
  vec2<f32>(0.83146961230254524, 0.55557023301960218), vec2<f32>(0.88192126434835483, 0.47139673682599792),
  vec2<f32>(0.92387953251128652, 0.38268343236509039), vec2<f32>(0.95694033573220882, 0.2902846772544625),
  vec2<f32>(0.98078528040323032, 0.19509032201612872), vec2<f32>(0.99518472667219693, 0.098017140329560506)
);

// 64-point DFT as 8 x 8: radix-8 DFTs of the columns a[c + 8t], twiddles W_64^(c k), radix-8
// DFTs across the columns: X[k + 8u] = sum_c W_64^(c k) C_c[k] W_8^(c u).
fn dft64(a: array<vec2<f32>, 64>) -> array<vec2<f32>, 64> {
  let c0 = dft8(a[0], a[8], a[16], a[24], a[32], a[40], a[48], a[56]);
  let c1 = dft8(a[1], a[9], a[17], a[25], a[33], a[41], a[49], a[57]);
  let c2 = dft8(a[2], a[10], a[18], a[26], a[34], a[42], a[50], a[58]);
  let c3 = dft8(a[3], a[11], a[19], a[27], a[35], a[43], a[51], a[59]);
  let c4 = dft8(a[4], a[12], a[20], a[28], a[36], a[44], a[52], a[60]);
  let c5 = dft8(a[5], a[13], a[21], a[29], a[37], a[45], a[53], a[61]);
  let c6 = dft8(a[6], a[14], a[22], a[30], a[38], a[46], a[54], a[62]);
  let c7 = dft8(a[7], a[15], a[23], a[31], a[39], a[47], a[55], a[63]);
  let r0 = dft8(c0[0], c1[0], c2[0], c3[0], c4[0], c5[0], c6[0], c7[0]);
  let r1 = dft8(c0[1], cmul(c1[1], W64[1]), cmul(c2[1], W64[2]), cmul(c3[1], W64[3]), cmul(c4[1], W64[4]), cmul(c5[1], W64[5]), cmul(c6[1], W64[6]), cmul(c7[1], W64[7]));
  let r2 = dft8(c0[2], cmul(c1[2], W64[2]), cmul(c2[2], W64[4]), cmul(c3[2], W64[6]), cmul(c4[2], W64[8]), cmul(c5[2], W64[10]), cmul(c6[2], W64[12]), cmul(c7[2], W64[14]));
  let r3 = dft8(c0[3], cmul(c1[3], W64[3]), cmul(c2[3], W64[6]), cmul(c3[3], W64[9]), cmul(c4[3], W64[12]), cmul(c5[3], W64[15]), cmul(c6[3], W64[18]), cmul(c7[3], W64[21]));
  let r4 = dft8(c0[4], cmul(c1[4], W64[4]), cmul(c2[4], W64[8]), cmul(c3[4], W64[12]), cmul(c4[4], W64[16]), cmul(c5[4], W64[20]), cmul(c6[4], W64[24]), cmul(c7[4], W64[28]));
  let r5 = dft8(c0[5], cmul(c1[5], W64[5]), cmul(c2[5], W64[10]), cmul(c3[5], W64[15]), cmul(c4[5], W64[20]), cmul(c5[5], W64[25]), cmul(c6[5], W64[30]), cmul(c7[5], W64[35]));
  let r6 = dft8(c0[6], cmul(c1[6], W64[6]), cmul(c2[6], W64[12]), cmul(c3[6], W64[18]), cmul(c4[6], W64[24]), cmul(c5[6], W64[30]), cmul(c6[6], W64[36]), cmul(c7[6], W64[42]));
  let r7 = dft8(c0[7], cmul(c1[7], W64[7]), cmul(c2[7], W64[14]), cmul(c3[7], W64[21]), cmul(c4[7], W64[28]), cmul(c5[7], W64[35]), cmul(c6[7], W64[42]), cmul(c7[7], W64[49]));
  return array<vec2<f32>, 64>(
    r0[0], r1[0], r2[0], r3[0], r4[0], r5[0], r6[0], r7[0],
    r0[1], r1[1], r2[1], r3[1], r4[1], r5[1], r6[1], r7[1],
    r0[2], r1[2], r2[2], r3[2], r4[2], r5[2], r6[2], r7[2],
    r0[3], r1[3], r2[3], r3[3], r4[3], r5[3], r6[3], r7[3],
    r0[4], r1[4], r2[4], r3[4], r4[4], r5[4], r6[4], r7[4],
    r0[5], r1[5], r2[5], r3[5], r4[5], r5[5], r6[5], r7[5],
    r0[6], r1[6], r2[6], r3[6], r4[6], r5[6], r6[6], r7[6],
    r0[7], r1[7], r2[7], r3[7], r4[7], r5[7], r6[7], r7[7]
  );
}

// A Stockham pass of radix r: butterfly j of a line reads elements j + t n/r (t < r), twiddles
// them by W_(ns r)^(k t) = W_n^(k t n / (ns r)) with k = j mod ns, and writes its r results ns
// apart from (j / ns) ns r + k. After the passes with radices r1..rm (ns = r1 ... r(p-1) before
// pass p) the line holds its DFT in natural order.
fn twiddle(v: vec2<f32>, t: u32, e: u32) -> vec2<f32> {
  if (t == 0u || e == 0u) { return v; }
  return cmul(v, tw[p.tw_line + t * e]);
}

// ---- shared memory (GPUs) -----------------------------------------------------------------------

const WG = 64u;
const HALF = 1024u;
var<workgroup> sm: array<vec2<f32>, 2048>;

fn sm_in(s: u32, j: u32, t: u32, q: u32, e: u32) -> vec2<f32> {
  return twiddle(sm[s + j + t * q], t, e);
}

fn pass_sm(r: u32, src: u32, dst: u32, ns: u32, lid: u32) {
  let q = p.n / r;
  let step = p.n / (ns * r);
  for (var b = lid; b < p.lpw * q; b += WG) {
    let li = b / q;
    let j = b % q;
    let k = j % ns;
    let s = src + li * p.n;
    let e = k * step;
    let o = dst + li * p.n + (j / ns) * ns * r + k;
    switch r {
      case 2u: {
        let v = dft2(sm_in(s, j, 0u, q, e), sm_in(s, j, 1u, q, e));
        sm[o] = v[0]; sm[o + ns] = v[1];
      }
      case 3u: {
        let v = dft3(sm_in(s, j, 0u, q, e), sm_in(s, j, 1u, q, e), sm_in(s, j, 2u, q, e));
        sm[o] = v[0]; sm[o + ns] = v[1]; sm[o + 2u * ns] = v[2];
      }
      case 4u: {
        let v = dft4(sm_in(s, j, 0u, q, e), sm_in(s, j, 1u, q, e), sm_in(s, j, 2u, q, e), sm_in(s, j, 3u, q, e));
        sm[o] = v[0]; sm[o + ns] = v[1]; sm[o + 2u * ns] = v[2]; sm[o + 3u * ns] = v[3];
      }
      case 5u: {
        let v = dft5(sm_in(s, j, 0u, q, e), sm_in(s, j, 1u, q, e), sm_in(s, j, 2u, q, e), sm_in(s, j, 3u, q, e), sm_in(s, j, 4u, q, e));
        sm[o] = v[0]; sm[o + ns] = v[1]; sm[o + 2u * ns] = v[2]; sm[o + 3u * ns] = v[3]; sm[o + 4u * ns] = v[4];
      }
      default: {
        let v = dft8(sm_in(s, j, 0u, q, e), sm_in(s, j, 1u, q, e), sm_in(s, j, 2u, q, e), sm_in(s, j, 3u, q, e),
                     sm_in(s, j, 4u, q, e), sm_in(s, j, 5u, q, e), sm_in(s, j, 6u, q, e), sm_in(s, j, 7u, q, e));
        sm[o] = v[0]; sm[o + ns] = v[1]; sm[o + 2u * ns] = v[2]; sm[o + 3u * ns] = v[3];
        sm[o + 4u * ns] = v[4]; sm[o + 5u * ns] = v[5]; sm[o + 6u * ns] = v[6]; sm[o + 7u * ns] = v[7];
      }
    }
  }
}

@compute @workgroup_size(64)
fn fft(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let l0 = (wid.x + wid.y * groups.x) * p.lpw;
  // Uniform control flow: every invocation reaches every barrier, even in a partial last group.
  let total = p.lpw * p.n;
  let elem_in = has(F_LOAD_ELEM);
  for (var i = lid; i < total; i += WG) {
    let lm = split(i, elem_in);
    var v = vec2<f32>(0.0);
    if (l0 + lm.x < p.lines) { v = load_value(line_of(l0 + lm.x), lm.y); }
    sm[lm.x * p.n + lm.y] = v;
  }
  workgroupBarrier();
  var src = 0u;
  var ns = 1u;
  for (var ps = 0u; ps < p.npass; ps++) {
    let r = p.radix[ps / 4u][ps % 4u];
    let dst = HALF - src;
    pass_sm(r, src, dst, ns, lid);
    workgroupBarrier();
    src = dst;
    ns *= r;
  }
  let elem_out = has(F_STORE_ELEM);
  for (var i = lid; i < total; i += WG) {
    let lm = split(i, elem_out);
    if (l0 + lm.x < p.lines) { store_value(line_of(l0 + lm.x), lm.y, sm[src + lm.x * p.n + lm.y]); }
  }
}

// ---- one pass per dispatch (CPU adapters) -------------------------------------------------------

// Element idx of line l: through the load modes in the first pass, else from the scratch layout
// [lines, n] that passes hand to each other.
fn g_in(ln: Line, l: u32, idx: u32, t: u32, e: u32) -> vec2<f32> {
  var v: vec2<f32>;
  if (has(F_FIRST)) {
    v = load_value(ln, idx);
  } else {
    let a = 2u * (l * p.n + idx);
    v = vec2<f32>(x[a], x[a + 1u]);
  }
  return twiddle(v, t, e);
}

fn g_out(ln: Line, l: u32, idx: u32, v: vec2<f32>) {
  if (has(F_LAST)) {
    store_value(ln, idx, v);
  } else {
    let a = 2u * (l * p.n + idx);
    y[a] = v.x;
    y[a + 1u] = v.y;
  }
}

@compute @workgroup_size(64)
fn fft_pass(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = R;
  let q = p.n / r;
  let b = gid.x + gid.y * groups.x * 64u;
  if (b >= p.lines * q) { return; }
  let l = b / q;
  let j = b % q;
  let ns = p.ns;
  let k = j % ns;
  let e = k * (p.n / (ns * r));
  let o = (j / ns) * ns * r + k;
  var ln = Line(0, 0, 0u);
  if (has(F_FIRST | F_LAST)) { ln = line_of(l); }
  switch r {
    case 1u: {
      g_out(ln, l, o, g_in(ln, l, j, 0u, 0u));
    }
    case 2u: {
      let v = dft2(g_in(ln, l, j, 0u, e), g_in(ln, l, j + q, 1u, e));
      g_out(ln, l, o, v[0]); g_out(ln, l, o + ns, v[1]);
    }
    case 3u: {
      let v = dft3(g_in(ln, l, j, 0u, e), g_in(ln, l, j + q, 1u, e), g_in(ln, l, j + 2u * q, 2u, e));
      g_out(ln, l, o, v[0]); g_out(ln, l, o + ns, v[1]); g_out(ln, l, o + 2u * ns, v[2]);
    }
    case 4u: {
      let v = dft4(g_in(ln, l, j, 0u, e), g_in(ln, l, j + q, 1u, e), g_in(ln, l, j + 2u * q, 2u, e), g_in(ln, l, j + 3u * q, 3u, e));
      g_out(ln, l, o, v[0]); g_out(ln, l, o + ns, v[1]); g_out(ln, l, o + 2u * ns, v[2]); g_out(ln, l, o + 3u * ns, v[3]);
    }
    case 5u: {
      let v = dft5(g_in(ln, l, j, 0u, e), g_in(ln, l, j + q, 1u, e), g_in(ln, l, j + 2u * q, 2u, e), g_in(ln, l, j + 3u * q, 3u, e),
                   g_in(ln, l, j + 4u * q, 4u, e));
      g_out(ln, l, o, v[0]); g_out(ln, l, o + ns, v[1]); g_out(ln, l, o + 2u * ns, v[2]); g_out(ln, l, o + 3u * ns, v[3]);
      g_out(ln, l, o + 4u * ns, v[4]);
    }
    case 64u: {
      // One sweep of memory instead of two radix-8 passes (fft2 of [32, 64, 64]: 57 -> 38 ms on
      // SwiftShader). Loops, not 64 inlined loads and stores: unrolled, each pipeline took
      // ~2.7 s to compile on SwiftShader and ran no faster.
      var a: array<vec2<f32>, 64>;
      for (var t = 0u; t < 64u; t++) { a[t] = g_in(ln, l, j + t * q, t, e); }
      let v = dft64(a);
      for (var t = 0u; t < 64u; t++) { g_out(ln, l, o + t * ns, v[t]); }
    }
    default: {
      let v = dft8(g_in(ln, l, j, 0u, e), g_in(ln, l, j + q, 1u, e), g_in(ln, l, j + 2u * q, 2u, e), g_in(ln, l, j + 3u * q, 3u, e),
                   g_in(ln, l, j + 4u * q, 4u, e), g_in(ln, l, j + 5u * q, 5u, e), g_in(ln, l, j + 6u * q, 6u, e), g_in(ln, l, j + 7u * q, 7u, e));
      g_out(ln, l, o, v[0]); g_out(ln, l, o + ns, v[1]); g_out(ln, l, o + 2u * ns, v[2]); g_out(ln, l, o + 3u * ns, v[3]);
      g_out(ln, l, o + 4u * ns, v[4]); g_out(ln, l, o + 5u * ns, v[5]); g_out(ln, l, o + 6u * ns, v[6]); g_out(ln, l, o + 7u * ns, v[7]);
    }
  }
}
