import type { BrazeClient, WorkspaceDocument } from '../src/index.ts';
import { at, currents } from './brazen.ts';

/**
 * A small workspace (campaigns, a Canvas, a card, segments, a Global Control Group) and the records
 * that engage with it. Every expected figure in the tests that use it is counted from this file.
 *
 *   users      u1 (external id ext-u1), u2 (ext-u2), u3 (ext-u3); each has sessions, so each is in
 *              seg-active (session_count ≥ 1) from the day of their first session:
 *              u1 Mar 29, u2 Mar 30, u3 Mar 31  ->  size 1, 2, 3
 *   c-spring   email variation v-email: sent to u1 and u2 on Mar 30, opened by u1 on Mar 30
 *   c-receipt  API campaign, send s-1: one email to u3 on Mar 30
 *   cv-welcome entries: u1 Mar 30, u2 Mar 31
 *   card-1     impressions by u1 and u2 on Mar 31, one click by u1
 */
export const WORKSPACE: WorkspaceDocument = {
  time_zone: 'UTC',
  apps: [{ id: 'ios', name: 'iOS', platform: 'ios' }],
  campaigns: [
    {
      id: 'c-spring',
      name: 'Spring sale',
      is_api_campaign: false,
      tags: ['promo'],
      created_at: '2024-01-01T00:00:00Z',
      updated_at: '2024-03-01T00:00:00Z',
      archived: false,
      draft: false,
      schedule_type: 'time_based',
      channels: ['email'],
      messages: { 'v-email': { channel: 'email', name: 'Variant 1', subject: 'Spring!' } },
      conversion_behaviors: [{ type: 'Makes Any Purchase', window: 86_400 }],
    },
    {
      id: 'c-receipt',
      name: 'Receipts',
      is_api_campaign: true,
      tags: [],
      created_at: '2024-02-01T00:00:00Z',
      updated_at: '2024-02-01T00:00:00Z',
      archived: false,
      draft: false,
      schedule_type: 'api_triggered',
      channels: ['email'],
      messages: { 'v-receipt': { channel: 'email', name: 'Receipt' } },
      conversion_behaviors: [],
    },
    {
      id: 'c-old',
      name: 'Old news',
      is_api_campaign: false,
      tags: [],
      created_at: '2023-06-01T00:00:00Z',
      updated_at: '2023-06-01T00:00:00Z',
      archived: true,
      draft: false,
      schedule_type: 'time_based',
      channels: ['email'],
      messages: {},
      conversion_behaviors: [],
    },
  ],
  canvases: [
    {
      id: 'cv-welcome',
      name: 'Welcome',
      created_at: '2024-01-15T00:00:00Z',
      updated_at: '2024-01-15T00:00:00Z',
      archived: false,
      draft: false,
      schedule_type: 'action_based',
      channels: ['email'],
      tags: ['onboarding'],
      variants: [{ name: 'Variant 1', id: 'cvv-1', first_step_ids: ['st-1'] }],
      steps: [{ name: 'Welcome email', id: 'st-1', next_step_ids: [], channels: ['email'] }],
    },
  ],
  segments: [
    {
      id: 'seg-active',
      name: 'Active users',
      analytics_tracking_enabled: true,
      tags: ['core'],
      created_at: '2024-01-01T00:00:00Z',
      updated_at: '2024-01-01T00:00:00Z',
      filter: { session_count: { op: 'gte', value: 1 } },
    },
    {
      id: 'seg-gone',
      name: 'Archived segment',
      analytics_tracking_enabled: false,
      tags: [],
      created_at: '2023-01-01T00:00:00Z',
      updated_at: '2023-01-01T00:00:00Z',
      archived: true,
      filter: { session_count: { op: 'gte', value: 1 } },
    },
  ],
  cards: [
    {
      id: 'card-1',
      name: 'Card one',
      title: 'Hello',
      type: 'NewsItem',
      tags: [],
      created_at: '2024-03-01T00:00:00Z',
      updated_at: '2024-03-01T00:00:00Z',
      archived: false,
      draft: false,
    },
  ],
  // Every user is in the Global Control Group (buckets 0 to 9999).
  global_control_group: { filter: { random_bucket: { gte: 0, lte: 9999 } } },
};

const user = (id: string) => ({ external_user_id: `ext-${id}` });

export const RECORDS = [
  currents('users.behaviors.app.SessionStart', 'u1', at('2024-03-29T10:00:00'), { ...user('u1'), app_id: 'ios' }),
  currents('users.behaviors.app.SessionStart', 'u2', at('2024-03-30T09:00:00'), { ...user('u2'), app_id: 'ios' }),
  currents('users.behaviors.app.SessionStart', 'u3', at('2024-03-31T08:00:00'), { ...user('u3'), app_id: 'ios' }),
  currents('users.messages.email.Send', 'u1', at('2024-03-30T10:00:00'), { campaign_id: 'c-spring', message_variation_id: 'v-email' }),
  currents('users.messages.email.Send', 'u2', at('2024-03-30T10:00:00'), { campaign_id: 'c-spring', message_variation_id: 'v-email' }),
  currents('users.messages.email.Open', 'u1', at('2024-03-30T11:00:00'), { campaign_id: 'c-spring', message_variation_id: 'v-email' }),
  currents('users.messages.email.Send', 'u3', at('2024-03-30T12:00:00'), { campaign_id: 'c-receipt', message_variation_id: 'v-receipt', send_id: 's-1' }),
  currents('users.canvas.Entry', 'u1', at('2024-03-30T08:00:00'), { canvas_id: 'cv-welcome', canvas_variation_id: 'cvv-1' }),
  currents('users.canvas.Entry', 'u2', at('2024-03-31T08:00:00'), { canvas_id: 'cv-welcome', canvas_variation_id: 'cvv-1' }),
  currents('users.messages.newsfeedcard.Impression', 'u1', at('2024-03-31T09:00:00'), { card_id: 'card-1' }),
  currents('users.messages.newsfeedcard.Impression', 'u2', at('2024-03-31T09:30:00'), { card_id: 'card-1' }),
  currents('users.messages.newsfeedcard.Click', 'u1', at('2024-03-31T09:01:00'), { card_id: 'card-1' }),
];

/** Loads the workspace and the records through the client itself. */
export async function seed(client: BrazeClient): Promise<void> {
  await client.adminPutWorkspace(WORKSPACE);
  const answer = await client.currentsIngest(RECORDS);
  if (answer.events_processed !== RECORDS.length) throw new Error(`seed stored ${answer.events_processed} of ${RECORDS.length} records: ${JSON.stringify(answer.errors)}`);
}
