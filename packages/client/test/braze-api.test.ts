import { Braze } from 'braze-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportLines } from '../src/index.ts';
import { KEY, startBrazen, type Brazen } from './brazen.ts';
import { seed } from './fixture.ts';

/**
 * Compatibility: the unmodified npm package `braze-api` (braze-community/braze-node, node-fetch,
 * Bearer auth) drives brazen for every export endpoint it covers. Routes still being built by other
 * issues are skipped until the server answers them. Figures: see fixture.ts.
 */
describe('braze-api drives brazen', () => {
  let brazen: Brazen;
  let braze: Braze;
  beforeAll(async () => {
    brazen = await startBrazen();
    await seed(brazen.client());
    braze = new Braze(brazen.url, KEY);
  });
  afterAll(() => brazen.close());

  it('users.track records, and its 400 reaches braze-api as a ResponseError with the message', async () => {
    const answer = await braze.users.track({
      attributes: [{ external_id: 'via-braze-api', first_name: 'Grace' }],
      events: [{ external_id: 'via-braze-api', name: 'Compiled', time: '2024-03-31T10:00:00Z' }],
    });
    expect(answer).toEqual({ message: 'success', attributes_processed: 1, events_processed: 1, purchases_processed: 0 });
    const rejected = await braze.users.track({}).catch((e: unknown) => e);
    expect(rejected).toMatchObject({ status: 400, message: 'at least one of attributes, events or purchases is required' });
  });

  it('users.export.ids', async () => {
    expect(await braze.users.export.ids({ external_ids: ['ext-u2'], fields_to_export: ['external_id', 'braze_id'] })).toEqual({
      message: 'success',
      users: [{ external_id: 'ext-u2', braze_id: 'u2' }],
    });
  });

  /** Polls the export URL (braze-api leaves that to its user) and reads the users. */
  const download = async (url: string): Promise<Array<Record<string, unknown>>> => {
    for (let poll = 0; poll < 200; poll++) {
      const response = await fetch(url);
      if (response.ok) {
        const users = [];
        for await (const line of exportLines(new Uint8Array(await response.arrayBuffer()))) users.push(JSON.parse(line));
        return users;
      }
      expect(response.status).toBe(404);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the export at ${url} never became ready`);
  };

  it('users.export.segment', async () => {
    const job = await braze.users.export.segment({ segment_id: 'seg-active', fields_to_export: ['braze_id'] });
    expect(job.message).toBe('success');
    expect(job.url).toBeDefined();
    expect((await download(job.url as string)).map((u) => u.braze_id).sort()).toEqual(['u1', 'u2', 'u3']);
  });

  it('users.export.global_control_group', async () => {
    const job = await braze.users.export.global_control_group({ fields_to_export: ['external_id'] });
    expect(job.message).toBe('success');
    // Everyone is in the group: the three users of the fixture and the one users.track made above.
    expect((await download(job.url as string)).map((u) => u.external_id).sort()).toEqual(['ext-u1', 'ext-u2', 'ext-u3', 'via-braze-api']);
  });

  it('campaigns.list and campaigns.details', async () => {
    const list = await braze.campaigns.list({ include_archived: true, sort_direction: 'desc' });
    expect(list.campaigns.map((c) => c.id)).toEqual(['c-receipt', 'c-spring', 'c-old']);
    expect(await braze.campaigns.details({ campaign_id: 'c-receipt' })).toMatchObject({ name: 'Receipts', schedule_type: 'api_triggered', channels: ['email'] });
  });

  it('canvas.list', async () => {
    expect((await braze.canvas.list()).canvases.map((c) => [c.id, c.name])).toEqual([['cv-welcome', 'Welcome']]);
  });

  it('segments.list, segments.details and segments.analytics', async () => {
    expect((await braze.segments.list()).segments.map((s) => s.id)).toEqual(['seg-active']);
    expect(await braze.segments.details({ segment_id: 'seg-active' })).toMatchObject({ name: 'Active users', tags: ['core'] });
    expect((await braze.segments.analytics({ segment_id: 'seg-active', length: 2, ending_at: '2024-03-31' })).data).toEqual([
      { time: '2024-03-30', size: 2 },
      { time: '2024-03-31', size: 3 },
    ]);
  });
});
