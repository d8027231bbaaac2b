// The options checker every public function uses: unknown keys rejected with the closest valid name;
// and the one formatter of argument errors, with the value describer it uses.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { argError, argErrorText, checkOptions, closestName, describeTensor, describeValue, optionNames } from '../src/graph/options.js';
import { useDevice } from './helpers.js';

describe('checkOptions', () => {
  const allowed = ['accuracy', 'pmlWidth', 'freeSurface', 'checkpointEvery', 'beta1', 'beta2', 'weightDecay'];

  it('passes undefined and known keys through', () => {
    expect(checkOptions(undefined, allowed, 'f(opts)')).toEqual({});
    const o = { accuracy: 4, pmlWidth: 20 };
    expect(checkOptions(o, allowed, 'f(opts)')).toBe(o);
  });

  it.each([
    ['acuracy', 'accuracy'],
    ['pmlwidth', 'pmlWidth'],
    ['freesurface', 'freeSurface'],
    ['weight_decay', 'weightDecay'],
    ['betas', 'beta1'],
    ['checkpointevry', 'checkpointEvery'],
  ])('rejects %s and suggests %s', (bad, good) => {
    expect(() => checkOptions({ [bad]: 1 }, allowed, 'acoustic2d(v, opts)')).toThrow(
      `tellus: acoustic2d(v, opts): unknown option '${bad}' (did you mean '${good}'?); valid options: ${allowed.join(', ')}`,
    );
  });

  it('suggests nothing for a name unlike any option', () => {
    expect(closestName('learningRate', allowed)).toBeUndefined();
    expect(() => checkOptions({ learningRate: 1 }, allowed, 'f(opts)')).toThrow(/unknown option 'learningRate'; valid options/);
  });

  it('rejects options that are not a plain object', () => {
    expect(() => checkOptions(null as never, allowed, 'f(opts)')).toThrow(
      'tellus: f(opts): options: expected an object with keys among accuracy',
    );
    expect(() => checkOptions(5 as never, allowed, 'f(opts)')).toThrow(/got 5$/);
    expect(() => checkOptions([1] as never, allowed, 'f(opts)')).toThrow(/got an array of length 1$/);
  });

  it('describes values the way messages quote them', () => {
    expect([null, undefined, 'x', 3, [1, 2], () => 0, new Map(), {}].map(describeValue)).toEqual([
      'null',
      'undefined',
      '"x"',
      '3',
      'an array of length 2',
      'a function',
      'a Map',
      'an object',
    ]);
  });
});

describe('optionNames', () => {
  interface Opts {
    a?: number;
    b?: string;
  }
  it('lists every key of the interface (a missing or extra key does not compile)', () => {
    expect(optionNames<Opts>()('a', 'b')).toEqual(['a', 'b']);
    // @ts-expect-error 'b' is missing
    optionNames<Opts>()('a');
    // @ts-expect-error 'c' is not an option
    optionNames<Opts>()('a', 'b', 'c');
  });
});

describe('argError', () => {
  it('formats `tellus: <fn>: <arg>: expected <expected>, got <value described>` as a TypeError by default', () => {
    const e = argError('Dropout(p, opts)', 'p', 'a number in [0, 1]', 1.5);
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toBe('tellus: Dropout(p, opts): p: expected a number in [0, 1], got 1.5');
    expect(argError('f(x)', 'x', 'a string', [1, 2]).message).toBe('tellus: f(x): x: expected a string, got an array of length 2');
    expect(argError('f(x)', 'x', 'a number', 'a').message).toBe('tellus: f(x): x: expected a number, got "a"');
    expect(argError('f(opts)', 'mode', "'a' or 'b'", undefined).message).toBe("tellus: f(opts): mode: expected 'a' or 'b', got undefined");
  });

  it('takes the error class, and a pre-worded `got` in the Text variant', () => {
    const r = argError('seed(value)', 'value', 'an integer >= 0', -1, RangeError);
    expect(r).toBeInstanceOf(RangeError);
    expect(r.message).toBe('tellus: seed(value): value: expected an integer >= 0, got -1');
    const t = argErrorText('slice(x, spec)', 'spec[0][2]', 'a non-zero integer step', 'two values', Error);
    expect(t.constructor).toBe(Error);
    expect(t.message).toBe('tellus: slice(x, spec): spec[0][2]: expected a non-zero integer step, got two values');
    // Text is used as given: not quoted as a string value would be.
    expect(argErrorText('f', 'a', 'x', 'y').message).toBe('tellus: f: a: expected x, got y');
  });
});

describe('describeValue of tensors', () => {
  useDevice();

  it('says dtype and shape (with the right article), or that the tensor is disposed', () => {
    const f = tl.zeros([3, 4]);
    const i = tl.zeros([2], 'int32');
    const u = tl.zeros([], 'uint32');
    expect([f, i, u].map(describeValue)).toEqual([
      'a float32 tensor of shape [3, 4]',
      'an int32 tensor of shape [2]',
      'a uint32 tensor of shape []',
    ]);
    expect(argError('matmul(a, b)', 'b', 'a float32 tensor', i).message).toBe(
      'tellus: matmul(a, b): b: expected a float32 tensor, got an int32 tensor of shape [2]',
    );
    f.dispose();
    expect(describeTensor(f)).toBe('a disposed tensor of shape [3, 4]');
    i.dispose();
    u.dispose();
  });
});
