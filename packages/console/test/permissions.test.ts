import { describe, expect, it } from 'vitest';
import { ALL_PERMISSIONS as CONTRACT_PERMISSIONS, endpoints } from '@brazen/contract';
import { ALL_PERMISSIONS, PERMISSION_OF } from '../src/app/permissions.ts';

describe("the console's table of permissions", () => {
  it('names the permission of every endpoint as the contract does', () => {
    expect(PERMISSION_OF).toEqual(Object.fromEntries(Object.entries(endpoints).map(([name, e]) => [name, e.permission])));
  });
  it('offers every permission when a key is made', () => {
    expect(ALL_PERMISSIONS).toEqual(CONTRACT_PERMISSIONS);
  });
});
