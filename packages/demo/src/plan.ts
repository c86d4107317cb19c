import { APP_NAMES, PLATFORMS, PUSH_CHANNEL, type Platform } from './catalog.ts';
import { mix, Random } from './random.ts';

/** Options of one demo build. `end` fixes the time anchor so that a seed replays byte for byte. */
export interface DemoOptions {
  users: number;
  days: number;
  seed: number;
  /** Epoch seconds, a UTC midnight: the simulated period is the `days` days before it. */
  end: number;
  /** Epoch seconds at or before `end`: nothing at or after it happens (the moment of the build,
   * so that today's figures stop at the present instead of running to midnight). Default: end. */
  until?: number;
  timeZone?: string;
}

export const DAY = 86_400;
export const HOUR = 3_600;

export interface Variation {
  id: string;
  name: string;
  channel: string;
  weight: number;
  message: Record<string, unknown>;
}

export interface ConversionBehavior {
  type: string;
  window: number;
  custom_event_name?: string;
  product?: string;
  app_ids?: string[] | null;
}

export type CampaignKey =
  | 'newsletter' | 'flash_sale' | 'welcome' | 'cart_reminder' | 'winback' | 'spring_promo' | 'member_offers'
  | 'order_confirmation' | 'price_drop' | 'crm_webhook' | 'shipping_updates' | 'holiday_sale' | 'loyalty_draft';

export interface CampaignDef {
  key: CampaignKey;
  id: string;
  name: string;
  description: string;
  scheduleType: 'time_based' | 'action_based' | 'api_triggered';
  variations: Variation[];
  /** Share of the audience held out in the control group (EnrollInControl, no message). */
  controlShare: number;
  conversions: ConversionBehavior[];
  tags: string[];
  apiCampaign: boolean;
  archived: boolean;
  draft: boolean;
  createdAt: number;
}

export interface CanvasStepDef {
  id: string;
  name: string;
  channel: string;
  /** Hours after entry. */
  afterHours: number;
  messageVariationId: string;
  message: Record<string, unknown>;
}

export interface CanvasVariantDef {
  id: string;
  name: string;
  weight: number;
  steps: CanvasStepDef[];
}

export interface CanvasDef {
  key: 'onboarding' | 'reengagement';
  id: string;
  name: string;
  description: string;
  scheduleType: string;
  variants: CanvasVariantDef[];
  controlShare: number;
  conversions: ConversionBehavior[];
  createdAt: number;
}

export interface CardDef {
  id: string;
  name: string;
  title: string;
  description: string;
  /** Day index of publication (may be before the window) and of the end, exclusive. */
  fromDay: number;
  toDay: number;
  archived: boolean;
  createdAt: number;
}

/** Everything about the demo workspace that both the definitions and the simulated users need. */
export interface DemoPlan {
  options: DemoOptions;
  /** Epoch seconds of day 0, 00:00 UTC. */
  start: number;
  seedHex: string;
  /** The workspace's API id (`app_group_id` in Currents records). */
  appGroupId: string;
  apps: Record<Platform, { id: string; name: string; platform: Platform }>;
  campaigns: Record<CampaignKey, CampaignDef>;
  canvases: Record<CanvasDef['key'], CanvasDef>;
  cards: CardDef[];
  /** Day indexes of scheduled sends. */
  newsletterDays: Set<number>;
  flashSaleDays: Set<number>;
  memberOffersDay: number;
  springPromo: { from: number; to: number };
}

export function demoPlan(options: DemoOptions): DemoPlan {
  const rng = new Random(mix(options.seed, 0x5eed));
  const D = options.days;
  const start = options.end - D * DAY;
  const appGroupId = rng.uuid();
  const apps = Object.fromEntries(
    PLATFORMS.map((p) => [p, { id: rng.uuid(), name: APP_NAMES[p], platform: p }]),
  ) as DemoPlan['apps'];
  const ago = (days: number) => start - days * DAY;
  const v = (name: string, channel: string, weight: number, message: Record<string, unknown>): Variation => ({
    id: rng.uuid(), name, channel, weight, message: { channel, name, ...message },
  });
  const pushVariations = (alert: string, title: string) =>
    PLATFORMS.map((p) => v(`${title} (${p})`, PUSH_CHANNEL[p], 1, { alert, title, extras: {} }));
  const campaign = (
    key: CampaignKey, name: string, scheduleType: CampaignDef['scheduleType'], variations: Variation[],
    conversions: ConversionBehavior[], more: Partial<CampaignDef> = {},
  ): CampaignDef => ({
    key, id: rng.uuid(), name, description: '', scheduleType, variations, controlShare: 0, conversions,
    tags: [], apiCampaign: scheduleType === 'api_triggered', archived: false, draft: false, createdAt: ago(30 + rng.int(60)), ...more,
  });
  const anyPurchase = (days: number): ConversionBehavior => ({ type: 'Makes Any Purchase', window: days * DAY });
  const startsSession = (days: number): ConversionBehavior => ({ type: 'Starts Session', window: days * DAY, app_ids: null });

  const campaigns: Record<CampaignKey, CampaignDef> = {
    newsletter: campaign('newsletter', 'Weekly Newsletter', 'time_based', [
      v('Variation A: editorial', 'email', 1, { subject: 'This week at Brazen Shop', from: 'Brazen Shop <news@shop.example>', body: '<p>New arrivals and stories.</p>', preheader: 'New arrivals inside' }),
      v('Variation B: deals first', 'email', 1, { subject: 'Deals of the week, picked for you', from: 'Brazen Shop <news@shop.example>', body: '<p>Deals of the week.</p>', preheader: 'Up to 30% off' }),
    ], [anyPurchase(3), startsSession(1)], { tags: ['newsletter', 'email'], description: 'Every Tuesday at 14:00 UTC to users active in the last 30 days', controlShare: 0.05 }),
    flash_sale: campaign('flash_sale', 'Flash Sale Push', 'time_based', pushVariations('48 hours only: 25% off everything', 'Flash sale'),
      [anyPurchase(1)], { tags: ['promo', 'push'], description: 'Three one-off pushes to users active in the last 30 days' }),
    welcome: campaign('welcome', 'Welcome Email', 'action_based', [
      v('Welcome', 'email', 1, { subject: 'Welcome to Brazen Shop', from: 'Brazen Shop <hello@shop.example>', body: '<p>Welcome!</p>' }),
    ], [{ type: 'Performs Custom Event', window: 7 * DAY, custom_event_name: 'added_to_cart' }, anyPurchase(7)],
    { tags: ['onboarding', 'email'], description: 'Sent an hour after the first session', controlShare: 0.1 }),
    cart_reminder: campaign('cart_reminder', 'Cart Reminder Push', 'action_based', pushVariations('You left something in your cart', 'Still thinking?'),
      [anyPurchase(2)], { tags: ['retention', 'push'], description: 'Two hours after added_to_cart without a purchase' }),
    winback: campaign('winback', 'Win-back SMS', 'time_based', [
      v('Win-back', 'sms', 1, { body: 'We miss you! 15% off with code BACK15 https://shop.example/back', from: '+15555550100', subscription_group_id: rng.uuid() }),
    ], [startsSession(3), anyPurchase(7)], { tags: ['retention', 'sms'], description: 'Daily to users whose last session was 14 days ago' }),
    spring_promo: campaign('spring_promo', 'Spring Promo In-App', 'action_based', [
      v('Slide-up', 'in_app_message', 1, { header: 'Spring collection', body: 'Tap to see what is new' }),
    ], [anyPurchase(1)], { tags: ['promo', 'in-app'], description: 'Shown once at session start while the promotion runs' }),
    member_offers: campaign('member_offers', 'Member Offers Content Card', 'time_based', [
      v('Offer card', 'content_cards', 1, { extras: { offer: 'free_shipping' } }),
    ], [anyPurchase(14)], { tags: ['promo', 'content-cards'], description: 'One card to users active in the last 30 days' }),
    order_confirmation: campaign('order_confirmation', 'Order Confirmation', 'api_triggered', [
      v('Receipt', 'email', 1, { subject: 'Your order is confirmed', from: 'Brazen Shop <orders@shop.example>', body: '<p>Thanks for your order.</p>' }),
    ], [], { tags: ['transactional'], description: 'Sent by the order service through /messages/send with one send_id per day' }),
    price_drop: campaign('price_drop', 'Price Drop Alert', 'api_triggered', pushVariations('An item you favorited is now cheaper', 'Price drop'),
      [anyPurchase(2)], { tags: ['transactional', 'push'], description: 'Sent by the catalogue service; one send_id per alert run' }),
    crm_webhook: campaign('crm_webhook', 'CRM Sync Webhook', 'action_based', [
      v('CRM sync', 'webhook', 1, { url: 'https://crm.example/hooks/purchase', method: 'POST', body: '{"user":"{{${user_id}}}"}', headers: { 'Content-Type': 'application/json' } }),
    ], [], { tags: ['integration'], description: 'Posts every purchase to the CRM' }),
    shipping_updates: campaign('shipping_updates', 'Shipping Updates WhatsApp', 'action_based', [
      v('Shipped', 'whats_app', 1, { template_name: 'order_shipped', template_language_code: 'en', subscription_group_id: rng.uuid(), from: ['+15555550123'] }),
    ], [], { tags: ['transactional', 'whatsapp'], description: 'A day after a purchase, to users with a phone number' }),
    holiday_sale: campaign('holiday_sale', 'Holiday Sale (last year)', 'time_based', [
      v('Holiday', 'email', 1, { subject: 'Holiday sale', from: 'Brazen Shop <news@shop.example>', body: '<p>Holiday sale.</p>' }),
    ], [anyPurchase(3)], { tags: ['promo'], archived: true, description: 'Archived', createdAt: ago(400) }),
    loyalty_draft: campaign('loyalty_draft', 'Loyalty Program Launch (draft)', 'time_based', [
      v('Launch', 'email', 1, { subject: 'Introducing Brazen Rewards', from: 'Brazen Shop <news@shop.example>', body: '<p>Rewards.</p>' }),
    ], [anyPurchase(3)], { tags: ['loyalty'], draft: true, description: 'Not launched yet', createdAt: ago(5) }),
  };

  const step = (name: string, channel: string, afterHours: number, message: Record<string, unknown>): CanvasStepDef => ({
    id: rng.uuid(), name, channel, afterHours, messageVariationId: rng.uuid(), message: { channel, name, ...message },
  });
  const canvases: DemoPlan['canvases'] = {
    onboarding: {
      key: 'onboarding', id: rng.uuid(), name: 'Onboarding Journey', scheduleType: 'action_based', controlShare: 0.1,
      conversions: [anyPurchase(7), { type: 'Performs Custom Event', window: 3 * DAY, custom_event_name: 'added_to_cart' }],
      description: 'Entered at the first session; two variants against a control group', createdAt: ago(80),
      variants: [
        { id: rng.uuid(), name: 'Push then email', weight: 0.5, steps: [
          step('Welcome push', 'push', 2, { alert: 'Welcome! Here is 10% off your first order', title: 'Welcome' }),
          step('Tips email', 'email', 48, { subject: '3 tips to get the most out of Brazen Shop', from: 'Brazen Shop <hello@shop.example>' }),
        ] },
        { id: rng.uuid(), name: 'Email only', weight: 0.4, steps: [
          step('Welcome email', 'email', 1, { subject: 'Your first order is on us (almost)', from: 'Brazen Shop <hello@shop.example>' }),
        ] },
      ],
    },
    reengagement: {
      key: 'reengagement', id: rng.uuid(), name: 'Re-engagement', scheduleType: 'time_based', controlShare: 0,
      conversions: [startsSession(3), anyPurchase(7)],
      description: 'Daily, for users inactive for 7 days: a push, then an email three days later', createdAt: ago(60),
      variants: [
        { id: rng.uuid(), name: 'Variant 1', weight: 1, steps: [
          step('We miss you push', 'push', 0, { alert: 'New arrivals are waiting for you', title: 'We miss you' }),
          step('Come back email', 'email', 72, { subject: 'It has been a while', from: 'Brazen Shop <hello@shop.example>' }),
        ] },
      ],
    },
  };

  const D3 = Math.max(1, Math.floor(D / 3));
  const cards: CardDef[] = [
    { id: rng.uuid(), name: 'Free shipping banner', title: 'Free shipping over $50', description: 'On every order, every day.', fromDay: -30, toDay: D + 30, archived: false, createdAt: ago(31) },
    { id: rng.uuid(), name: 'New arrivals', title: 'New arrivals are here', description: 'Fresh styles for the season.', fromDay: D3, toDay: D + 30, archived: false, createdAt: start + D3 * DAY - DAY },
    { id: rng.uuid(), name: 'App rating ask', title: 'Enjoying the app?', description: 'Rate us in the store.', fromDay: 0, toDay: 2 * D3, archived: false, createdAt: ago(2) },
    { id: rng.uuid(), name: 'Old winter promo', title: 'Winter promo', description: 'Ended.', fromDay: -200, toDay: -100, archived: true, createdAt: ago(201) },
  ];

  const newsletterDays = new Set<number>();
  for (let d = 0; d < D; d++) if (new Date((start + d * DAY) * 1000).getUTCDay() === 2) newsletterDays.add(d);
  const flashSaleDays = new Set([D - 64, D - 33, D - 10].filter((d) => d >= 1));
  if (flashSaleDays.size === 0) flashSaleDays.add(D - 1);
  return {
    options, start, seedHex: (options.seed >>> 0).toString(16).padStart(8, '0'), appGroupId, apps, campaigns, canvases, cards,
    newsletterDays, flashSaleDays,
    memberOffersDay: Math.max(0, D - 52),
    springPromo: { from: Math.max(0, D - 45), to: Math.max(1, D - 20) },
  };
}
