import type { Workspace } from '@brazen/store';
import { CURRENCY_RATES, PLATFORMS } from './catalog.ts';
import { mix, Random } from './random.ts';
import { DAY, type CampaignDef, type CanvasDef, type DemoPlan } from './plan.ts';

const iso = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString().replace('.000Z', '+00:00');

/** The workspace document (SPEC §5) of the demo: what Braze would hold in its dashboard. */
export function demoWorkspace(plan: DemoPlan): Workspace {
  const { start } = plan;
  const end = plan.options.end;
  return {
    time_zone: plan.options.timeZone ?? 'UTC',
    currency_rates: { ...CURRENCY_RATES },
    apps: PLATFORMS.map((p) => ({ ...plan.apps[p] })),
    campaigns: Object.values(plan.campaigns).map((c) => campaignDocument(c, plan)),
    canvases: Object.values(plan.canvases).map((c) => canvasDocument(c, start, end)),
    segments: demoSegments(plan),
    cards: plan.cards.map((c) => ({
      id: c.id, name: c.name, title: c.title, description: c.description, type: 'ClassicCard',
      created_at: iso(c.createdAt), updated_at: iso(c.createdAt),
      publish_at: iso(start + c.fromDay * DAY), end_at: iso(start + c.toDay * DAY),
      tags: ['news-feed'], image_url: `https://shop.example/cards/${c.id}.png`, extras: {}, archived: c.archived, draft: false,
    })),
  };
}

function firstSendDay(c: CampaignDef, plan: DemoPlan): number {
  if (c.key === 'newsletter') return Math.min(...plan.newsletterDays, plan.options.days - 1);
  if (c.key === 'flash_sale') return Math.min(...plan.flashSaleDays);
  if (c.key === 'member_offers') return plan.memberOffersDay;
  if (c.key === 'spring_promo') return plan.springPromo.from;
  return 0;
}

function campaignDocument(c: CampaignDef, plan: DemoPlan): Record<string, unknown> {
  const active = !c.archived && !c.draft;
  const channels = [...new Set(c.variations.map((v) => v.channel))];
  return {
    id: c.id,
    name: c.name,
    description: c.description,
    created_at: iso(c.createdAt),
    updated_at: iso(c.createdAt + DAY),
    archived: c.archived,
    draft: c.draft,
    enabled: active,
    has_post_launch_draft: false,
    schedule_type: c.scheduleType,
    is_api_campaign: c.apiCampaign,
    channels,
    first_sent: active ? iso(plan.start + firstSendDay(c, plan) * DAY) : null,
    last_sent: null,
    tags: c.tags,
    messages: Object.fromEntries(c.variations.map((v) => [v.id, v.message])),
    conversion_behaviors: c.conversions,
  };
}

function canvasDocument(c: CanvasDef, start: number, end: number): Record<string, unknown> {
  const steps = c.variants.flatMap((v) => v.steps);
  return {
    id: c.id,
    name: c.name,
    description: c.description,
    created_at: iso(c.createdAt),
    updated_at: iso(c.createdAt + DAY),
    archived: false,
    draft: false,
    enabled: true,
    has_post_launch_draft: false,
    schedule_type: c.scheduleType,
    first_entry: iso(start),
    last_entry: iso(end - DAY),
    channels: [...new Set(steps.map((s) => s.channel))],
    tags: ['lifecycle'],
    conversion_behaviors: c.conversions,
    variants: c.variants.map((v) => ({
      name: v.name, id: v.id, first_step_ids: v.steps.length > 0 ? [v.steps[0].id] : [],
      ...(v.steps.length > 0 ? { first_step_id: v.steps[0].id } : {}),
    })),
    steps: c.variants.flatMap((v) =>
      v.steps.map((s, i) => {
        const next = v.steps[i + 1];
        return {
          name: s.name, type: 'message', id: s.id,
          next_step_ids: next ? [next.id] : [],
          next_paths: next ? [{ name: null, next_step_id: next.id }] : [],
          channels: [s.channel],
          messages: { [s.messageVariationId]: s.message },
        };
      }),
    ),
  };
}

/** Segments with filters (SPEC §5); most are tracked so /segments/data_series answers. */
function demoSegments(plan: DemoPlan): Array<Record<string, unknown>> {
  const rng = new Random(mix(plan.options.seed, 0x5e9));
  const created = iso(plan.start - 20 * DAY);
  const segment = (name: string, filter: Record<string, unknown>, tracked: boolean, more: Record<string, unknown> = {}) => ({
    id: rng.uuid(), name, filter, analytics_tracking_enabled: tracked, tags: [], created_at: created, updated_at: created, ...more,
  });
  return [
    segment('All users', { session_count: { op: 'gte', value: 1 } }, true),
    segment('Active in the last 7 days', { last_session_within_days: 7 }, true),
    segment('Purchasers (90 days)', { purchased: null, op: 'gte', count: 1, within_days: 90 }, true),
    segment('Engaged browsers', { custom_event: 'viewed_product', op: 'gte', count: 5, within_days: 30 }, true),
    segment('US and Canada', { or: [{ attribute: 'country', op: 'eq', value: 'US' }, { attribute: 'country', op: 'eq', value: 'CA' }] }, true),
    segment('Premium members', { attribute: 'plan', op: 'eq', value: 'premium' }, true),
    segment('Email subscribers', { and: [{ attribute: 'email', op: 'exists' }, { not: { attribute: 'email_subscribe', op: 'eq', value: 'unsubscribed' } }] }, false),
    segment('Newsletter recipients', { received_campaign: plan.campaigns.newsletter.id }, true),
    segment('Holdout 10%', { random_bucket: { gte: 0, lte: 999 } }, false),
    segment('Lapsed big spenders', { and: [{ attribute: 'lifetime_spend', op: 'gte', value: 150 }, { not: { last_session_within_days: 30 } }] }, false,
      { archived: true }),
  ];
}
