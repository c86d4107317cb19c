import { describe, expect, it } from 'vitest';
import type { AttributeEntry } from '../records.ts';
import { attributeIdentity, currentAttributes, customAttributeSamples, foldAttributeUpdate, isCustomAttribute } from './index.ts';

const entry = (name: string, value: unknown, time: number, seq: number, user = 'u1'): AttributeEntry => ({ user, name, value, time, seq });

describe('an attribute update', () => {
  it('writes its values, then its increments and array edits applied to the values current before it', () => {
    const current: Record<string, unknown> = { visits: 4, level: 'high', tags: ['a', { k: 1 }, 'b'], odd: 'x' };
    const written = foldAttributeUpdate({
      values: { first_name: 'Ann', gone: undefined },
      increments: { visits: 2.5, level: 1, fresh: 3 }, // a number; not a number (0); nothing yet (0)
      arrayEdits: { tags: { add: ['c', 'a'], remove: ['a', { k: 1 }] }, odd: { add: [1] } },
    }, (name) => current[name]);
    // tags: [a, {k:1}, b] + [c, a] = [a, {k:1}, b, c, a], without every a and {k:1} = [b, c].
    expect(written).toEqual([
      ['first_name', 'Ann'], ['gone', null], ['visits', 6.5], ['level', 1], ['fresh', 3], ['tags', ['b', 'c']], ['odd', [1]],
    ]);
  });
});

describe('current attributes', () => {
  const history = [
    entry('plan', 'free', 10, 1),
    entry('plan', 'pro', 20, 2),
    entry('plan', 'team', 20, 3), // same time, later arrival: the current one
    entry('plan', 'early', 5, 4), // arrived last, set earliest: not current
    entry('city', 'Paris', 10, 5),
    entry('city', null, 30, 6), // unset
  ];

  it('are the latest values by time, then by arrival; a null is no value', () => {
    expect(currentAttributes(history)).toEqual(new Map([['plan', 'team']]));
  });

  it('as of an instant see only what was set by then, at it only when inclusive', () => {
    expect(currentAttributes(history, 20)).toEqual(new Map([['plan', 'team'], ['city', 'Paris']]));
    expect(currentAttributes(history, 20, false)).toEqual(new Map([['plan', 'free'], ['city', 'Paris']]));
    expect(currentAttributes(history, 4)).toEqual(new Map());
  });
});

describe('custom attributes', () => {
  it('are the attributes that are not standard ones', () => {
    expect(['plan', 'first_name', 'current_location', 'braze_id', 'Email'].map(isCustomAttribute)).toEqual([true, false, false, false, true]);
  });

  it('are sampled by their first value not null, earliest by time then arrival, in code-point order', () => {
    const samples = customAttributeSamples([
      entry('plan', null, 1, 1), // null: not a sample
      entry('plan', 'pro', 9, 2),
      entry('plan', 'free', 3, 3), // set earlier, arrived later: the first
      entry('émoji', 1, 1, 4),
      entry('Zeta', true, 1, 5),
      entry('😀', [1], 1, 6),
      entry('\uff01', 'x', 1, 7),
      entry('email', 'a@b.c', 0, 8), // standard
    ]);
    // Code points: Z (5A) < p (70) < é (E9) < ！ (FF01) < 😀 (1F600); JavaScript's < puts 😀 before ！.
    expect(samples).toEqual([
      { name: 'Zeta', firstValue: true }, { name: 'plan', firstValue: 'free' }, { name: 'émoji', firstValue: 1 },
      { name: '\uff01', firstValue: 'x' }, { name: '😀', firstValue: [1] },
    ]);
  });
});

describe('an email or phone attribute', () => {
  it('is an identity of its user when it is a non-empty string', () => {
    expect(attributeIdentity('u1', 'email', 'a@b.c')).toEqual({ kind: 'email', value: 'a@b.c', user: 'u1' });
    expect(attributeIdentity('u1', 'phone', '+1')).toEqual({ kind: 'phone', value: '+1', user: 'u1' });
    expect([attributeIdentity('u1', 'email', ''), attributeIdentity('u1', 'email', 5), attributeIdentity('u1', 'country', 'FR')]).toEqual([undefined, undefined, undefined]);
  });
});
