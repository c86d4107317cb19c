import { expect } from 'vitest';
import { USER_EXPORT_FIELDS } from '@brazen/contract';
import type { AnalyticsData, KeptProfiles } from '@brazen/store';
import type { ConcernSuite } from './index.ts';
import { customEvent, D, exportText, H, ingest, iso, record, session, T0, workspaceDoc } from './support.ts';

const FIELDS = ['external_id', 'user_aliases', 'braze_id', 'first_name', 'email', 'custom_attributes', 'custom_events', 'apps', 'campaigns_received'];
const USERS = ['u1', 'u2', 'u3', 'u4', 'u5'];

/** The export's lines, and the same users' export objects computed from the records. */
async function exportAndComputed(data: AnalyticsData, job: string, fields: readonly string[] = FIELDS) {
  const { pieces } = await exportText(data, job, undefined, T0 + 10 * D, { fields });
  const computed = await data.userProfiles(USERS, { fields, fromEvents: true });
  return { text: pieces.join(''), computed: `${computed.join('\n')}\n` };
}
const lines = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

/** Brings kept profiles up to date: a second refresh right after finds nothing due. */
async function refreshAll(kept: KeptProfiles): Promise<void> {
  await kept.refresh();
  expect(await kept.refresh()).toBe(0);
}

/** The optional kept-profiles capability: exports read kept profiles, always equal to computed ones. */
export const keptProfilesContract: ConcernSuite = (it) => {
  it('exports kept profiles that follow every kind of write, equal to profiles computed from the records', async ({ data, catalog, kept }) => {
    const played = (id: string, user: string, time: number) => customEvent(id, user, time, 'Played', { app_id: 'app-a' });
    const others = ['u3', 'u4', 'u5'].map((u, i) => session(`o${i}`, u, T0 + 3 * D));
    await ingest(data, [session('s1', 'u1', T0), played('p1', 'u1', T0 + H), session('s2', 'u2', T0 + D), ...others]);
    await data.track({ attributes: [{ user: { braze_id: 'u1' }, time: T0, values: { first_name: 'Ann', plan: 'grün ☕' } }], events: [], purchases: [] });
    // Nothing kept yet.
    const first = await exportAndComputed(data, 'job-1');
    expect(first.text).toBe(first.computed);
    expect(lines(first.text)[0]).toEqual({
      braze_id: 'u1', first_name: 'Ann', custom_attributes: { plan: 'grün ☕' },
      custom_events: [{ name: 'Played', first: iso(T0 + H), last: iso(T0 + H), count: 1 }],
      apps: [{ sessions: 1, first_used: iso(T0), last_used: iso(T0) }],
    });
    await refreshAll(kept!);

    // A Currents event, an attribute, an identity: each changes its user's profile.
    await ingest(data, [played('p2', 'u1', T0 + 2 * D)]);
    await data.track({ attributes: [{ user: { braze_id: 'u2' }, time: T0 + D, values: { first_name: 'Bob', email: 'bob@example.com' } }], events: [], purchases: [] });
    await data.track({ attributes: [{ user: { braze_id: 'u1', external_id: 'ext-1', alias: { alias_name: 'ann', alias_label: 'crm' } }, time: T0 + D, values: {} }], events: [], purchases: [] });
    const second = await exportAndComputed(data, 'job-2');
    expect(second.text).toBe(second.computed);
    expect(lines(second.text).slice(0, 2)).toEqual([
      {
        external_id: 'ext-1', user_aliases: [{ alias_name: 'ann', alias_label: 'crm' }], braze_id: 'u1', first_name: 'Ann', custom_attributes: { plan: 'grün ☕' },
        custom_events: [{ name: 'Played', first: iso(T0 + H), last: iso(T0 + 2 * D), count: 2 }],
        apps: [{ sessions: 1, first_used: iso(T0), last_used: iso(T0) }],
      },
      { braze_id: 'u2', first_name: 'Bob', email: 'bob@example.com', apps: [{ sessions: 1, first_used: iso(T0 + D), last_used: iso(T0 + D) }] },
    ]);
    await refreshAll(kept!);
    // New names in the workspace.
    await catalog.putWorkspace(workspaceDoc({ apps: [{ id: 'app-a', name: 'App A' }] }));
    const third = await exportAndComputed(data, 'job-3');
    expect(third.text).toBe(third.computed);
    expect(lines(third.text).slice(0, 2).map((u) => u.apps)).toEqual([
      [{ name: 'App A', sessions: 1, first_used: iso(T0), last_used: iso(T0) }],
      [{ name: 'App A', sessions: 1, first_used: iso(T0 + D), last_used: iso(T0 + D) }],
    ]);
    await refreshAll(kept!);
    // Every field (an export's default), byte for byte, kept or not.
    const every = await exportAndComputed(data, 'job-4', USER_EXPORT_FIELDS);
    expect(every.text).toBe(every.computed);
    expect(Object.keys(lines(every.text)[0])).toEqual(['created_at', 'external_id', 'user_aliases', 'braze_id', 'random_bucket', 'first_name', 'custom_attributes', 'custom_events', 'apps']);
    expect(await data.userProfiles(USERS, { fields: USER_EXPORT_FIELDS })).toEqual(await data.userProfiles(USERS, { fields: USER_EXPORT_FIELDS, fromEvents: true }));
  });

  it('keeps profiles right when writes land while a refresh runs beside them', async ({ data, kept }) => {
    const users = Array.from({ length: 400 }, (_, i) => `r${i}`);
    await ingest(data, users.map((u, i) => session(`rs-${i}`, u, T0 + i)));
    const played = (round: number) => users.slice(0, 60).map((u, i) => customEvent(`rp-${round}-${i}`, u, T0 + D + round * H + i, `Round ${round}`));
    // Small batches of refresh, and three ingestion batches in between.
    const refresh = kept!.refresh({ batchUsers: 20 });
    for (let round = 0; round < 3; round++) await ingest(data, played(round));
    await refresh;
    await refreshAll(kept!);
    const fields = ['braze_id', 'custom_events'];
    const { users: n, pieces } = await exportText(data, 'job-r', undefined, T0 + 10 * D, { fields });
    expect(n).toBe(400);
    const computed = await data.userProfiles(users.toSorted(), { fields, fromEvents: true });
    expect(pieces.join('')).toBe(`${computed.join('\n')}\n`);
    expect(JSON.parse(computed[0])).toMatchObject({ braze_id: 'r0', custom_events: [{ name: 'Round 0', count: 1 }, { name: 'Round 1', count: 1 }, { name: 'Round 2', count: 1 }] });
  });

  it('reads kept names of campaigns, variations and Canvas steps the workspace does not define equal to computed ones', async ({ data, catalog, kept }) => {
    await ingest(data, [
      record('x1', 'users.messages.email.Send', 'n1', T0, { campaign_id: 'cx', campaign_name: 'From events', message_variation_id: 'vx', message_variation_name: 'Variant X' }),
      record('x2', 'users.messages.pushnotification.Send', 'n1', T0 + H, {
        canvas_id: 'kx', canvas_name: 'Journey', canvas_variation_id: 'kvx', canvas_step_id: 'sx', canvas_step_name: 'Step X', platform: 'ios',
      }),
      record('x3', 'users.messages.email.Send', 'n2', T0, { campaign_id: 'cy', message_variation_id: 'vy' }),
    ]);
    await catalog.putWorkspace(workspaceDoc({ campaigns: [{ id: 'cy', name: 'Defined', messages: { vy: { name: 'Defined variant' } } }] }));
    const fields = ['campaigns_received', 'canvases_received'];
    const computed = await data.userProfiles(['n1', 'n2'], { fields, fromEvents: true });
    await refreshAll(kept!);
    expect(await data.userProfiles(['n1', 'n2'], { fields })).toEqual(computed);
    expect(JSON.parse(computed[1])).toMatchObject({ campaigns_received: [{ name: 'Defined', variation_name: 'Defined variant' }] });
  });
};
