import { describe, expect, it } from 'vitest';
import { derivedBrazeId, IdentityDirectory, identityKey, identityKeys, randomBucket, resolveCurrentsUsers, resolveTrackUsers } from './index.ts';

describe('identities', () => {
  it('of a reference, strongest first; empty values name nothing', () => {
    const keys = identityKeys({ phone: '+1', email: 'a@b.c', alias: { alias_name: 'n', alias_label: 'l' }, external_id: '', braze_id: 'b' });
    expect(keys.map((k) => [k.kind, k.value])).toEqual([['braze_id', 'b'], ['alias', 'n\u001fl'], ['email', 'a@b.c'], ['phone', '+1']]);
  });

  it('give a user made without a braze_id one derived from the identity it was made from', () => {
    // printf 'external_id\0ext-1' | sha256sum | cut -c1-24
    expect(derivedBrazeId(identityKey('external_id', 'ext-1'))).toBe('39f5e96a5bcd49a8a64ac996');
    // printf 'alias\0bob\x1fcrm' | sha256sum | cut -c1-24
    expect(derivedBrazeId(identityKey('alias', 'bob\u001fcrm'))).toBe('6a5a12573659169ffc882b92');
  });

  it('put a braze_id in a random bucket: md5 first 8 hex digits modulo 10,000', () => {
    // printf u1 | md5sum: e4774cdd... → 0xe4774cdd = 3833023709 → 3709.
    expect(randomBucket('u1')).toBe(3709);
  });

  it('name the most recently made of the users that share them (an email, a phone)', () => {
    const dir = new IdentityDirectory(
      [{ brazeId: 'old', createdAt: 1 }, { brazeId: 'new', createdAt: 2 }],
      [{ kind: 'email', value: 'a@b.c', user: 'new' }, { kind: 'email', value: 'a@b.c', user: 'old' }, { kind: 'external_id', value: 'x', user: 'old' }],
    );
    expect(dir.find(identityKey('email', 'a@b.c'))).toBe('new');
    expect(dir.users(identityKey('email', 'a@b.c'))).toEqual(['old', 'new']);
    expect(dir.find(identityKey('phone', 'a@b.c'))).toBeUndefined();
  });
});

describe('Currents namings', () => {
  /** Resolves namings against `known` identities, new users made as their braze_id. */
  const resolve = (namings: Array<{ userId: string; externalUserId: string }>, known = new IdentityDirectory()) => {
    const made: string[] = [];
    const r = resolveCurrentsUsers(namings.map((n) => ({
      ...n,
      byBrazeId: n.userId ? known.find(identityKey('braze_id', n.userId)) : undefined,
      byExternalId: n.externalUserId ? known.find(identityKey('external_id', n.externalUserId)) : undefined,
    })), (brazeId) => (made.push(brazeId), brazeId));
    return { ...r, made };
  };

  it('link a user_id and an external_user_id named together, whichever is new', () => {
    const known = new IdentityDirectory([{ brazeId: 'B', createdAt: 0 }], [{ kind: 'braze_id', value: 'B', user: 'B' }]);
    const r = resolve([{ userId: 'B', externalUserId: 'E' }, { userId: '', externalUserId: 'E' }], known);
    expect(r.made).toEqual([]);
    expect(r.identities).toEqual([{ kind: 'external_id', value: 'E', user: 'B' }]);
    expect(r.userOf({ userId: '', externalUserId: 'E' })).toBe('B');
  });

  it('make one user of two new ids linked in a batch, however the batch is ordered', () => {
    // (B2, E1) and (B1, E1): the pair of the lower user_id, B1, makes the user; B2 becomes another
    // braze_id of it. The external-only naming of E1 is the same user.
    const namings = [{ userId: '', externalUserId: 'E1' }, { userId: 'B2', externalUserId: 'E1' }, { userId: 'B1', externalUserId: 'E1' }];
    for (const order of [namings, namings.toReversed()]) {
      const r = resolve(order);
      expect(r.made).toEqual(['B1']);
      expect(r.identities).toEqual([
        { kind: 'braze_id', value: 'B1', user: 'B1' }, { kind: 'external_id', value: 'E1', user: 'B1' }, { kind: 'braze_id', value: 'B2', user: 'B1' },
      ]);
      expect(order.map((n) => r.userOf(n))).toEqual(['B1', 'B1', 'B1']);
    }
  });

  it('make a user known only by an external id, its braze_id derived from it', () => {
    const r = resolve([{ userId: '', externalUserId: 'ext-1' }]);
    expect(r.made).toEqual(['39f5e96a5bcd49a8a64ac996']);
    expect(r.identities).toEqual([
      { kind: 'braze_id', value: '39f5e96a5bcd49a8a64ac996', user: '39f5e96a5bcd49a8a64ac996' },
      { kind: 'external_id', value: 'ext-1', user: '39f5e96a5bcd49a8a64ac996' },
    ]);
  });

  it("naming two known users by their two ids mean the braze_id's", () => {
    const known = new IdentityDirectory([], [{ kind: 'braze_id', value: 'B', user: 'B' }, { kind: 'external_id', value: 'E', user: 'X' }]);
    const r = resolve([{ userId: 'B', externalUserId: 'E' }], known);
    expect([r.made, r.identities, r.userOf({ userId: 'B', externalUserId: 'E' })]).toEqual([[], [], 'B']);
  });
});

describe('/users/track namings', () => {
  /** The users of a directory by braze_id; new ones made after every known one. */
  const bookOf = (dir: IdentityDirectory) => ({
    made: [] as string[],
    find: (k: Parameters<IdentityDirectory['find']>[0]) => dir.find(k),
    make(brazeId: string) {
      this.made.push(brazeId);
      dir.addUser(brazeId);
      return brazeId;
    },
    newer: (a: string, b: string) => dir.rank(a) > dir.rank(b),
  });

  it('resolve by the strongest identity that names someone; the others become that user\'s', () => {
    const book = bookOf(new IdentityDirectory(
      [{ brazeId: 'u-old', createdAt: 1 }, { brazeId: 'u-new', createdAt: 2 }],
      [{ kind: 'email', value: 'a@b.c', user: 'u-old' }, { kind: 'email', value: 'a@b.c', user: 'u-new' }],
    ));
    const r = resolveTrackUsers([
      { user: { email: 'a@b.c', external_id: 'x1' }, create: true }, // external id unknown, email names two: the newer
      { user: { external_id: 'x1' }, create: true }, // now known
      { user: { alias: { alias_name: 'n', alias_label: 'l' } }, create: false }, // nobody, and may not be made
      { user: { phone: '+1' }, create: true }, // made, braze_id derived from the phone
      { user: { braze_id: 'given', external_id: 'x2' }, create: true }, // made with its braze_id
    ], book);
    // printf 'phone\0+1' | sha256sum | cut -c1-24
    const phoneUser = 'f3d3d650caf5306047b46a81';
    expect(r.resolved).toEqual(['u-new', 'u-new', undefined, phoneUser, 'given']);
    expect(book.made).toEqual([phoneUser, 'given']);
    expect(r.identities).toEqual([
      { kind: 'external_id', value: 'x1', user: 'u-new' },
      { kind: 'braze_id', value: phoneUser, user: phoneUser },
      { kind: 'phone', value: '+1', user: phoneUser },
      { kind: 'braze_id', value: 'given', user: 'given' },
      { kind: 'external_id', value: 'x2', user: 'given' },
    ]);
  });

  it('name a user by an email or phone an earlier object of the batch gave it, unless a newer user has it', () => {
    const book = bookOf(new IdentityDirectory(
      [{ brazeId: 'old', createdAt: 1 }, { brazeId: 'newer', createdAt: 2 }],
      [{ kind: 'external_id', value: 'o', user: 'old' }, { kind: 'email', value: 'n@x', user: 'newer' }],
    ));
    const r = resolveTrackUsers([
      { user: { external_id: 'a' }, create: true, gives: [identityKey('email', 'a@x'), identityKey('phone', '+1')] }, // made
      { user: { email: 'a@x' }, create: true }, // the user the object before made
      { user: { phone: '+1' }, create: false },
      { user: { external_id: 'o' }, create: true, gives: [identityKey('email', 'n@x')] }, // old: newer keeps n@x
      { user: { email: 'n@x' }, create: true },
    ], book);
    const made = book.made[0];
    expect(r.resolved).toEqual([made, made, made, 'old', 'newer']);
    expect(book.made).toEqual([made]);
  });
});
