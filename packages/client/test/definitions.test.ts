import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrazeClient } from '../src/index.ts';
import { startBrazen, type Brazen } from './brazen.ts';
import { seed } from './fixture.ts';

/**
 * The endpoints over workspace definitions (campaigns, sends, Canvas, News Feed, segments, user
 * export), against brazen over a socket. Routes other issues are still building are skipped while
 * the server does not answer them, and run as soon as it does. Figures: see fixture.ts.
 */
describe('client against brazen: definitions and user export', () => {
  let brazen: Brazen;
  let client: BrazeClient;
  beforeAll(async () => {
    brazen = await startBrazen();
    client = brazen.client();
    await seed(client);
  });
  afterAll(() => brazen.close());

  it('campaigns: list (archived excluded unless asked, both orders) and details', async () => {
    const ids = (answer: { campaigns: Array<{ id: string }> }) => answer.campaigns.map((c) => c.id);
    const list = await client.campaignsList();
    expect(list.campaigns.map((c) => [c.id, c.name, c.is_api_campaign, c.tags])).toEqual([
      ['c-spring', 'Spring sale', false, ['promo']],
      ['c-receipt', 'Receipts', true, []],
    ]);
    expect(ids(await client.campaignsList({ include_archived: true }))).toEqual(['c-old', 'c-spring', 'c-receipt']);
    expect(ids(await client.campaignsList({ sort_direction: 'desc' }))).toEqual(['c-receipt', 'c-spring']);
    expect(await client.campaignsDetails({ campaign_id: 'c-spring' })).toMatchObject({
      message: 'success',
      name: 'Spring sale',
      archived: false,
      draft: false,
      schedule_type: 'time_based',
      channels: ['email'],
      tags: ['promo'],
      conversion_behaviors: [{ type: 'Makes Any Purchase', window: 86_400 }],
    });
  });

  it('campaigns and sends: daily series per channel and variation', async () => {
    const spring = await client.campaignsDataSeries({ campaign_id: 'c-spring', length: 2, ending_at: '2024-03-31' });
    expect(spring.data.map((d) => d.time)).toEqual(['2024-03-30', '2024-03-31']);
    expect(spring.data[0].messages.email?.[0]).toMatchObject({ variation_api_id: 'v-email', sent: 2, unique_opens: 1 });
    const send = await client.sendsDataSeries({ campaign_id: 'c-receipt', send_id: 's-1', length: 1, ending_at: '2024-03-30' });
    expect(send.data[0].messages.email?.[0]).toMatchObject({ sent: 1 });
  });

  it('Canvas: list, details, series and summary', async () => {
    expect((await client.canvasList()).canvases.map((c) => [c.id, c.name, c.tags])).toEqual([['cv-welcome', 'Welcome', ['onboarding']]]);
    expect(await client.canvasDetails({ canvas_id: 'cv-welcome' })).toMatchObject({ name: 'Welcome', steps: [{ id: 'st-1', name: 'Welcome email' }] });
    const series = await client.canvasDataSeries({ canvas_id: 'cv-welcome', length: 2, ending_at: '2024-03-31' });
    expect(series.data.stats.map((s) => [s.time.slice(0, 10), s.total_stats.entries])).toEqual([
      ['2024-03-30', 1],
      ['2024-03-31', 1],
    ]);
    const summary = await client.canvasDataSummary({ canvas_id: 'cv-welcome', length: 2, ending_at: '2024-03-31' });
    expect(summary.data.total_stats.entries).toBe(2);
  });

  it('News Feed: list, details and series', async () => {
    expect((await client.feedList()).cards.map((c) => [c.id, c.title, c.type])).toEqual([['card-1', 'Hello', 'NewsItem']]);
    expect(await client.feedDetails({ card_id: 'card-1' })).toMatchObject({ name: 'Card one', title: 'Hello', archived: false });
    expect((await client.feedDataSeries({ card_id: 'card-1', length: 1, ending_at: '2024-03-31' })).data).toEqual([
      { time: '2024-03-31', clicks: 1, impressions: 2, unique_clicks: 1, unique_impressions: 2 },
    ]);
  });

  it('segments: list (archived excluded), details and daily size', async () => {
    expect((await client.segmentsList()).segments).toEqual([{ id: 'seg-active', name: 'Active users', analytics_tracking_enabled: true, tags: ['core'] }]);
    expect(await client.segmentsDetails({ segment_id: 'seg-active' })).toMatchObject({ message: 'success', name: 'Active users', tags: ['core'] });
    expect((await client.segmentsDataSeries({ segment_id: 'seg-active', length: 3, ending_at: '2024-03-31' })).data).toEqual([
      { time: '2024-03-29', size: 1 },
      { time: '2024-03-30', size: 2 },
      { time: '2024-03-31', size: 3 },
    ]);
  });

  it('/users/export/ids: chosen fields of the users named, and the ids naming nobody', async () => {
    expect(await client.usersExportIds({ external_ids: ['ext-u1', 'nobody'], fields_to_export: ['external_id', 'braze_id'] })).toEqual({
      message: 'success',
      users: [{ external_id: 'ext-u1', braze_id: 'u1' }],
      invalid_user_ids: ['nobody'],
    });
  });

  it('segment export helper: starts the job, polls its URL, and streams the users back', async () => {
    const users = [];
    for await (const user of client.exportSegmentUsers({ segment_id: 'seg-active', fields_to_export: ['braze_id'] }, { pollIntervalMs: 50 })) users.push(user);
    expect(users.map((u) => u.braze_id).sort()).toEqual(['u1', 'u2', 'u3']);
  });

  it('segment export helper: waits for the callback instead', async () => {
    let server: Server | undefined;
    const called = new Promise<{ success?: boolean; url?: string }>((resolve) => {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk) => (body += chunk));
        req.on('end', () => {
          res.end('ok');
          resolve(JSON.parse(body));
        });
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server?.address() as AddressInfo).port;
      const users = [];
      const params = { segment_id: 'seg-active', fields_to_export: ['external_id'], callback_endpoint: `http://127.0.0.1:${port}/ready` };
      for await (const user of client.exportSegmentUsers(params, { callback: () => called, pollIntervalMs: 50 })) users.push(user);
      expect(users.map((u) => u.external_id).sort()).toEqual(['ext-u1', 'ext-u2', 'ext-u3']);
      expect(await called).toMatchObject({ success: true });
    } finally {
      await new Promise((resolve) => server?.close(resolve));
    }
  });

  it('Global Control Group export, the export jobs, and cancelling when nothing runs', async () => {
    const users = [];
    for await (const user of client.exportGlobalControlGroupUsers({ fields_to_export: ['braze_id'] }, { pollIntervalMs: 50 })) users.push(user);
    expect(users.map((u) => u.braze_id).sort()).toEqual(['u1', 'u2', 'u3']);
    // The three exports of this file, newest first, all done.
    const jobs = (await client.adminExports()).exports;
    expect(jobs.map((j) => [j.kind, j.status])).toEqual([
      ['global_control_group', 'done'],
      ['segment', 'done'],
      ['segment', 'done'],
    ]);
    const error = await client.exportSegmentCancel({ segment_id: 'seg-active' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 404, brazeMessage: expect.stringContaining('seg-active') });
  });
});
