// The options checker every public function uses: unknown keys rejected with the closest valid name.
import { describe, expect, it } from 'vitest';
import { checkOptions, closestName, describeValue, optionNames } from '../src/graph/options.js';

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
