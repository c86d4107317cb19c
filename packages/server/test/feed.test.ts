import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, currents, ndjson, startHarness, type Harness } from './harness.ts';

const NDJSON = { 'content-type': 'application/x-ndjson' };
const IMPRESSION = 'users.messages.newsfeedcard.Impression';
const CLICK = 'users.messages.newsfeedcard.Click';

const CARDS = [
  {
    id: 'card-1', name: 'Spring card', type: 'CaptionedImage', title: 'Spring is here', tags: ['seasonal'],
    created_at: '2024-01-01T00:00:00+00:00', updated_at: '2024-01-02T00:00:00+00:00', image_url: 'https://example.com/a.png',
  },
  { id: 'card-2', name: 'Old card', type: 'NewsItem', title: 'Old news', tags: [], archived: true, created_at: '2023-01-01T00:00:00+00:00' },
];

describe('News Feed', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ now: Date.UTC(2024, 2, 31, 12) });
    expect((await h.put('/admin/workspace', { cards: CARDS })).statusCode).toBe(200);
    const records = [
      currents(IMPRESSION, 'u1', at('2024-03-10T10:15:00'), { card_id: 'card-1' }),
      currents(IMPRESSION, 'u1', at('2024-03-10T10:45:00'), { card_id: 'card-1' }),
      currents(CLICK, 'u1', at('2024-03-10T10:50:00'), { card_id: 'card-1' }),
      currents(CLICK, 'u1', at('2024-03-10T10:55:00'), { card_id: 'card-1' }), // again: a click, not a unique click
      currents(IMPRESSION, 'u2', at('2024-03-10T11:05:00'), { card_id: 'card-1' }),
      // the old sample form: an internal card_id and the API id in card_api_id
      currents(CLICK, 'u2', at('2024-03-11T09:00:00'), { card_id: '5e4f0c0f', card_api_id: 'card-1' }),
      currents(IMPRESSION, 'u3', at('2024-03-10T10:20:00'), { card_id: 'card-2' }),
    ];
    expect((await h.post('/currents', ndjson(records), NDJSON)).statusCode).toBe(201);
  });
  afterAll(() => h.close());

  const series = async (query: Record<string, string | number>) => {
    const res = await h.get('/feed/data_series', query);
    expect(res.statusCode, res.body).toBe(200);
    return res.json().data;
  };

  it('counts impressions, clicks and distinct users per hour', async () => {
    expect(await series({ card_id: 'card-1', length: 2, unit: 'hour', ending_at: '2024-03-10T11:30:00Z' })).toEqual([
      { time: '2024-03-10T10:00:00+00:00', impressions: 2, clicks: 2, unique_impressions: 1, unique_clicks: 1 },
      { time: '2024-03-10T11:00:00+00:00', impressions: 1, clicks: 0, unique_impressions: 1, unique_clicks: 0 },
    ]);
  });

  it('counts per day by default, zeros included', async () => {
    expect(await series({ card_id: 'card-1', length: 3, ending_at: '2024-03-11' })).toEqual([
      { time: '2024-03-09', impressions: 0, clicks: 0, unique_impressions: 0, unique_clicks: 0 },
      { time: '2024-03-10', impressions: 3, clicks: 2, unique_impressions: 2, unique_clicks: 1 },
      { time: '2024-03-11', impressions: 0, clicks: 1, unique_impressions: 0, unique_clicks: 1 },
    ]);
    expect(await series({ card_id: 'card-2', length: 1, ending_at: '2024-03-10' })).toEqual([
      { time: '2024-03-10', impressions: 1, clicks: 0, unique_impressions: 1, unique_clicks: 0 },
    ]);
  });

  it('lists cards without archived ones unless asked, and describes one', async () => {
    expect((await h.get('/feed/list')).json()).toEqual({
      message: 'success',
      cards: [{ id: 'card-1', type: 'CaptionedImage', title: 'Spring is here', tags: ['seasonal'] }],
    });
    const all = (await h.get('/feed/list', { include_archived: true })).json().cards.map((c: { id: string }) => c.id);
    expect(all).toEqual(['card-2', 'card-1']);
    expect((await h.get('/feed/details', { card_id: 'card-1' })).json()).toEqual({
      message: 'success', name: 'Spring card', title: 'Spring is here', tags: ['seasonal'], created_at: '2024-01-01T00:00:00+00:00',
      updated_at: '2024-01-02T00:00:00+00:00', image_url: 'https://example.com/a.png', archived: false, draft: false,
    });
  });

  it('rejects bad input with a 4xx naming the parameter', async () => {
    const cases: Array<[string, Record<string, string | number>, string]> = [
      ['/feed/data_series', { card_id: 'nope', length: 3 }, 'card_id nope does not name a News Feed card of this workspace'],
      ['/feed/data_series', { card_id: 'card-1', length: 101 }, 'length must be an integer between 1 and 100'],
      ['/feed/data_series', { card_id: 'card-1', length: 2, unit: 'week' }, 'unit must be one of day, hour'],
      ['/feed/details', { card_id: 'nope' }, 'card_id nope does not name a News Feed card of this workspace'],
    ];
    for (const [path, query, message] of cases) {
      const res = await h.get(path, query);
      expect([path, res.statusCode, res.json().message]).toEqual([path, 400, message]);
    }
  });
});
