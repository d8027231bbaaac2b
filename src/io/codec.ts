// Bit-level codecs of SEG-Y: IBM System/360 single-precision floats and EBCDIC text (code page
// 037, the one SEG-Y's textual header uses). Written from the definitions, host-only.
import { argError, argErrorText } from '../graph/options.js';

// IBM float: 1 sign bit, 7-bit base-16 exponent in excess 64, 24-bit fraction F with the value
// (-1)^s * (F / 2^24) * 16^(e - 64). Normalized fractions have a nonzero leading hex digit, so a
// value keeps 21 to 24 significant bits: encoding a float32 rounds away up to 3 bits (relative
// error <= 2^-21 with round-to-nearest), decoding into a double is exact.

/** The value of an IBM single-precision float given as its 32 bits (an unsigned integer). */
export function fromIbmFloat(bits: number): number {
  const fraction = bits & 0xffffff;
  if (fraction === 0) return 0; // true zero, or a zero fraction with any exponent
  const sign = bits >>> 31 ? -1 : 1;
  const exponent = (bits >>> 24) & 0x7f;
  // fraction * 2^(4(e - 64) - 24): the product of an integer below 2^24 and a power of two is exact.
  return sign * fraction * 2 ** (4 * (exponent - 64) - 24);
}

/** IBM's largest value, (1 - 16^-6) * 16^63; everything a float32 holds lies within it. */
export const IBM_MAX = (1 - 16 ** -6) * 16 ** 63;

/**
 * The 32 bits (unsigned) of the IBM float nearest to x (ties to an even fraction). Magnitudes
 * below IBM's smallest normalized value 16^-65 (about 5.4e-79, far below any float32) flush to
 * zero; NaN, infinities and magnitudes above IBM_MAX (only reachable from float64) are a RangeError.
 */
export function toIbmFloat(x: number, what = 'toIbmFloat(x)'): number {
  if (!Number.isFinite(x) || Math.abs(x) > IBM_MAX)
    throw argError(what, 'x', `a finite number of magnitude <= ${IBM_MAX.toExponential(3)} (the IBM float range)`, x, RangeError);
  if (x === 0) return 0;
  const sign = x < 0 ? 0x80000000 : 0;
  const a = Math.abs(x);
  // The base-16 exponent q with 16^(q-1) <= a < 16^q. log2 can be off by one near powers of two:
  // the two corrections make q exact.
  let q = Math.floor(Math.floor(Math.log2(a)) / 4) + 1;
  if (a >= 16 ** q) q++;
  else if (a < 16 ** (q - 1)) q--;
  const scaled = a * 2 ** (24 - 4 * q); // in [2^20, 2^24): exact, a power-of-two scaling
  let fraction = Math.floor(scaled);
  const rest = scaled - fraction;
  if (rest > 0.5 || (rest === 0.5 && fraction % 2 === 1)) fraction++;
  if (fraction === 2 ** 24) [fraction, q] = [2 ** 20, q + 1]; // rounded up to the next power of 16
  const e = q + 64;
  if (e < 0) return 0; // below 16^-65: no IBM value is closer than zero within float range
  if (e > 127)
    throw argError(what, 'x', `a finite number of magnitude <= ${IBM_MAX.toExponential(3)} (the IBM float range)`, x, RangeError);
  return (sign | (e << 24) | fraction) >>> 0;
}

// EBCDIC code page 037 for printable ASCII (0x20-0x7e), in ASCII order.
// prettier-ignore
const EBCDIC_OF_ASCII = [
  0x40, 0x5a, 0x7f, 0x7b, 0x5b, 0x6c, 0x50, 0x7d, 0x4d, 0x5d, 0x5c, 0x4e, 0x6b, 0x60, 0x4b, 0x61, // space ! " # $ % & ' ( ) * + , - . /
  0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0x7a, 0x5e, 0x4c, 0x7e, 0x6e, 0x6f, // 0-9 : ; < = > ?
  0x7c, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, // @ A-O
  0xd7, 0xd8, 0xd9, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xba, 0xe0, 0xbb, 0xb0, 0x6d, // P-Z [ \ ] ^ _
  0x79, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, // ` a-o
  0x97, 0x98, 0x99, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xc0, 0x4f, 0xd0, 0xa1, // p-z { | } ~
];
const ASCII_OF_EBCDIC = new Int16Array(256).fill(-1);
EBCDIC_OF_ASCII.forEach((e, i) => (ASCII_OF_EBCDIC[e] = 0x20 + i));

export type TextEncoding = 'ebcdic' | 'ascii';

/**
 * Which encoding a textual header is in. Headers are mostly blanks, so blanks weigh double: 0x40
 * (EBCDIC blank) reads as '@' in ASCII and would otherwise tie an all-blank EBCDIC header.
 */
export function detectTextEncoding(bytes: Uint8Array): TextEncoding {
  let ascii = 0;
  let ebcdic = 0;
  for (const b of bytes) {
    if (b >= 0x20 && b <= 0x7e) ascii += b === 0x20 ? 2 : 1;
    if (ASCII_OF_EBCDIC[b]! >= 0) ebcdic += b === 0x40 ? 2 : 1;
  }
  return ascii > ebcdic ? 'ascii' : 'ebcdic';
}

/** Bytes to text; bytes with no printable ASCII meaning (NUL padding, control codes) read as blanks. */
export function decodeText(bytes: Uint8Array, encoding: TextEncoding): string {
  let s = '';
  for (const b of bytes) {
    const c = encoding === 'ascii' ? b : ASCII_OF_EBCDIC[b]!;
    s += c >= 0x20 && c <= 0x7e ? String.fromCharCode(c) : ' ';
  }
  return s;
}

/** Printable ASCII text to bytes; any other character is a TypeError naming `what` and `arg`. */
export function encodeText(text: string, encoding: TextEncoding, what: string, arg: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e)
      throw argErrorText(
        what,
        arg,
        'printable ASCII characters (SEG-Y text is ASCII or EBCDIC)',
        `${JSON.stringify(text[i])} at index ${i}`,
      );
    out[i] = encoding === 'ascii' ? c : EBCDIC_OF_ASCII[c - 0x20]!;
  }
  return out;
}
