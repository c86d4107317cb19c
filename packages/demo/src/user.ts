import { CURRENTS_EVENT_TYPES } from '@brazen/contract';
import type { AttributeRecord, UserRef } from '@brazen/store';
import {
  CATEGORIES, EMAIL_DOMAINS, FIRST_NAMES, HOUR_WEIGHTS, LAST_NAMES, LOCALE_WEIGHTS, LOCALES, ONBOARDING_EVENT,
  OS_VERSIONS, PLATFORM_SHARE, PLATFORMS, PRODUCT_WEIGHTS, PRODUCTS, SESSION_EVENT_WEIGHTS, SESSION_EVENTS,
  WEEKDAY_FACTOR, DEVICE_MODELS, type Locale, type Platform,
} from './catalog.ts';
import { sendMessage, type Engagement, type Fields, type MessageLink, type Recipient } from './channels.ts';
import { DAY, HOUR, type CampaignDef, type CanvasDef, type DemoPlan } from './plan.ts';
import { hex, hex32, mix, Random } from './random.ts';

/** One Currents record as the simulator writes it (flat, as in Braze's storage files, plus event_type). */
export type CurrentsRecord = Record<string, string | number | boolean | null>;

export interface DemoSink {
  record(record: CurrentsRecord): void;
  attributes(record: AttributeRecord): void;
}

const SCHEMA_FIELDS = new Map(CURRENTS_EVENT_TYPES.map((t) => [t.eventType, new Set(Object.keys(t.fields))]));
const REQUIRES_APP_GROUP = new Set(CURRENTS_EVENT_TYPES.filter((t) => t.required?.includes('app_group_id')).map((t) => t.eventType));
const HOURS = Array.from({ length: 24 }, (_, h) => h);
const dateLabel = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);

interface Pending {
  time: number;
  run: () => void;
}

/**
 * One simulated user over the whole period, from arrival to churn, on their own seeded stream: the
 * same (seed, index) always gives the same records, whatever the other users do.
 */
export class SimulatedUser implements Recipient {
  readonly rng: Random;
  readonly platform: Platform;
  readonly appId: string;
  readonly email: string | null;
  readonly phone: string | null;
  readonly engagement: number;
  /** The user's one device, named in its session, uninstall and push records (UUID-shaped, unique
   * by construction: its last eight hex digits are the user's index). */
  readonly deviceId: string;
  private readonly brazeId: string;
  private readonly externalId: string | null;
  private readonly locale: Locale;
  private readonly ref: UserRef;
  private readonly profile: { first: string; last: string };
  /** Event ids are UUID-shaped and unique by construction: seed, user index, the user's event number. */
  private readonly idPrefix: string;
  private readonly idSuffix: string;
  private readonly end: number;
  private readonly buyer: boolean;
  private readonly pushOptIn: boolean;
  private readonly newsletterOptIn: boolean;
  private readonly arrivalDay: number;
  private readonly churnDay: number;
  private uninstallDay = Number.POSITIVE_INFINITY;
  private seq = 0;
  private emailSubscribed = true;
  private smsSubscribed = true;
  private lastSession = Number.NEGATIVE_INFINITY;
  private lastFavorite = Number.NEGATIVE_INFINITY;
  private lastReengagement = Number.NEGATIVE_INFINITY;
  private spend = 0;
  private sawSpringPromo = false;
  private pendingCards: string[] = [];
  private pending: Pending[] = [];

  constructor(
    private readonly plan: DemoPlan,
    private readonly index: number,
    private readonly sink: DemoSink,
  ) {
    const rng = (this.rng = new Random(mix(plan.options.seed, index, 0x05e7)));
    const D = plan.options.days;
    this.end = Math.min(plan.options.end, plan.options.until ?? plan.options.end);
    this.platform = rng.weighted(PLATFORMS, PLATFORM_SHARE);
    this.appId = plan.apps[this.platform].id;
    this.locale = rng.weighted(LOCALES, LOCALE_WEIGHTS);
    this.engagement = 0.06 + 0.75 * rng.next() ** 1.6;
    this.buyer = rng.chance(0.12 + 0.4 * this.engagement);
    this.pushOptIn = rng.chance(this.platform === 'web' ? 0.35 : 0.72);
    // A launch cohort in the first week, then arrivals growing over time.
    this.arrivalDay = rng.chance(0.25) ? rng.int(Math.min(7, D)) : Math.min(D - 1, Math.floor(D * Math.sqrt(rng.next())));
    this.churnDay = this.arrivalDay + Math.ceil(rng.exponential(12 + 160 * this.engagement));
    if (this.platform !== 'web' && this.churnDay < D && rng.chance(0.55)) this.uninstallDay = this.churnDay + rng.int(15);
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    const number = index + 1;
    this.externalId = rng.chance(0.08) ? null : `user-${String(number).padStart(6, '0')}`;
    this.email = rng.chance(0.8)
      ? `${first.toLowerCase().normalize('NFD').replace(/[^a-z]/g, '')}.${last.toLowerCase().normalize('NFD').replace(/[^a-z]/g, '')}.${number}@${rng.pick(EMAIL_DOMAINS)}`
      : null;
    this.phone = rng.chance(0.4) ? `+1555${String(index % 10_000_000).padStart(7, '0')}` : null;
    this.brazeId = `${hex(plan.start + this.arrivalDay * DAY, 8)}${hex(mix(plan.options.seed, index, 0xb1d), 8)}${hex(index, 8)}`;
    this.ref = this.externalId ? { external_id: this.externalId } : { braze_id: this.brazeId };
    this.profile = { first, last };
    this.newsletterOptIn = this.email !== null && rng.chance(0.55);
    this.idPrefix = `${plan.seedHex}-${hex(index >>> 16, 4)}-${hex(index, 4)}-`;
    this.idSuffix = hex(mix(plan.options.seed, index, 0x1d), 4);
    // Not drawn from rng, so that every other value of the demo stays what it was.
    const seed = plan.options.seed;
    this.deviceId = `${hex32(mix(seed, index, 0xd1))}-${hex(mix(seed, index, 0xd2), 4)}-4${hex(mix(seed, index, 0xd3), 3)}-a${hex(mix(seed, index, 0xd4), 3)}-${hex(mix(seed, index, 0xd5), 4)}${hex32(index)}`;
  }

  /** Plays the user's whole life and hands every record to the sink. */
  run(): void {
    const D = this.plan.options.days;
    const { rng } = this;
    for (let d = this.arrivalDay; d < D; d++) {
      const dayStart = this.plan.start + d * DAY;
      this.runPending(dayStart);
      if (d === this.uninstallDay) {
        // After the last session, which may have run past midnight UTC.
        const at = Math.max(dayStart + rng.int(DAY), this.lastSession + HOUR);
        this.emit('users.behaviors.Uninstall', at, { app_id: this.appId, device_id: this.deviceId });
      }
      const times = this.sessionTimes(d);
      for (let i = 0; i < times.length; i++) this.session(times[i], d === this.arrivalDay && i === 0);
      this.dailyMessages(d, dayStart);
    }
    this.runPending(this.end);
  }

  // ------------------------------------------------------------------ sessions and behaviour

  private sessionTimes(d: number): number[] {
    const { rng } = this;
    const dayStart = this.plan.start + d * DAY;
    let count: number;
    if (d === this.arrivalDay) count = 1 + (rng.chance(0.3) ? 1 : 0);
    else if (d >= this.churnDay) return [];
    else {
      const age = d - this.arrivalDay;
      const weekday = WEEKDAY_FACTOR[new Date(dayStart * 1000).getUTCDay()];
      const p = Math.min(0.95, this.engagement * (0.45 + 0.55 * Math.exp(-age / 21)) * weekday);
      if (!rng.chance(p)) return [];
      count = 1 + (rng.chance(0.3) ? 1 : 0) + (rng.chance(0.08) ? 1 : 0);
    }
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      // An hour of the user's local day d, which may fall in the UTC day before or after it (the
      // local days tile the timeline, so sessions stay in order from one day to the next).
      const hour = rng.weighted(HOURS, HOUR_WEIGHTS);
      times.push(Math.round(dayStart + (hour - this.locale.offset) * HOUR + rng.int(HOUR)));
    }
    times.sort((a, b) => a - b);
    const { start } = this.plan;
    if (d === this.arrivalDay) {
      // The first session opens the user's history, so it is kept inside the period, spread over
      // its first or last six hours rather than piled on its edge. One still after `until` has not
      // happened yet: the user has not arrived.
      const periodEnd = this.plan.options.end;
      if (times[0] < start) times[0] = start + ((start - times[0]) % (6 * HOUR));
      else if (times[0] >= periodEnd) times[0] = periodEnd - 1 - ((times[0] - periodEnd) % (6 * HOUR));
      return times.filter((t, i) => (i === 0 || t > times[0]) && t < this.end);
    }
    return times.filter((t) => t >= start && t < this.end);
  }

  private session(t: number, first: boolean): void {
    const { rng } = this;
    const sessionId = rng.uuid();
    const fields = { app_id: this.appId, session_id: sessionId, platform: this.platform, device_id: this.deviceId };
    if (first) {
      this.emit('users.behaviors.app.FirstSession', t, fields);
      this.emit('users.RandomBucketNumberUpdate', t, { random_bucket_number: rng.int(10_000), prev_random_bucket_number: null });
      this.emit('users.behaviors.InstallAttribution', t - 60, { source: rng.weighted(['Organic', 'Facebook Ads', 'Google Ads', 'TikTok'], [5, 2, 2, 1]) });
      this.setAttributes(t, this.firstAttributes());
    }
    this.emit('users.behaviors.app.SessionStart', t, {
      ...fields, device_model: rng.pick(DEVICE_MODELS[this.platform]), os_version: rng.pick(OS_VERSIONS[this.platform]),
    });
    this.lastSession = t;
    let clock = t + 5;
    if (first) {
      clock += 60 + rng.int(240);
      this.emit('users.behaviors.CustomEvent', clock, { app_id: this.appId, name: ONBOARDING_EVENT, properties: '{}' });
      this.onFirstSession(t);
    }
    this.cardImpressions(clock);
    this.springPromo(t);
    if (rng.chance(0.04)) this.newsFeed(t + 20);

    let carted: string | null = null;
    const n = rng.chance(0.35) ? 1 : rng.chance(0.2) ? 2 : 0;
    for (let i = 0; i < n; i++) {
      clock += 20 + rng.int(400);
      const name = rng.weighted(SESSION_EVENTS, SESSION_EVENT_WEIGHTS);
      const product = rng.weighted(PRODUCTS, PRODUCT_WEIGHTS);
      const properties = name === 'searched' ? { query: rng.pick(CATEGORIES) } : { product_id: product.id, category: product.category };
      this.emit('users.behaviors.CustomEvent', clock, { app_id: this.appId, name, properties: JSON.stringify(properties) });
      if (name === 'added_to_cart') carted = product.id;
      if (name === 'favorited') this.lastFavorite = clock;
    }
    if (carted !== null) {
      if (this.buyer && rng.chance(0.45)) this.purchase(clock + 60 + rng.int(600), carted);
      else if (this.pushOptIn && rng.chance(0.35)) this.campaignMessage(this.plan.campaigns.cart_reminder, clock + 2 * HOUR);
    } else if (this.buyer && rng.chance(0.03)) {
      this.purchase(clock + 60 + rng.int(600), rng.weighted(PRODUCTS, PRODUCT_WEIGHTS).id);
    }
  }

  private purchase(t: number, productId: string): void {
    if (t >= this.end) return;
    const { rng } = this;
    const product = PRODUCTS.find((p) => p.id === productId) ?? PRODUCTS[0];
    const currency = this.locale.currency;
    const rate = currency === 'EUR' ? 0.93 : currency === 'GBP' ? 0.79 : 1;
    const price = Math.round(product.price * rate * 100) / 100;
    this.emit('users.behaviors.Purchase', t, {
      app_id: this.appId, product_id: product.id, price, currency, platform: this.platform,
      properties: JSON.stringify({ category: product.category }),
    });
    this.spend = Math.round((this.spend + product.price) * 100) / 100;
    const values: Record<string, unknown> = { lifetime_spend: this.spend, last_purchased_product: product.id };
    if (product.id === 'premium_membership') values.plan = 'premium';
    this.setAttributes(t + 1, values);
    const day = dateLabel(t);
    const c = this.plan.campaigns;
    if (this.email && this.emailSubscribed) {
      this.campaignMessage(c.order_confirmation, t + 30, `order-confirmation-${day}`);
    }
    this.campaignMessage(c.crm_webhook, t + 5);
    if (this.phone && this.smsSubscribed) this.later(t + DAY + rng.int(4 * HOUR), () => this.campaignMessage(c.shipping_updates, t + DAY));
  }

  private newsFeed(t: number): void {
    const { rng } = this;
    const day = Math.floor((t - this.plan.start) / DAY);
    this.emit('users.behaviors.app.NewsFeedImpression', t, { app_id: this.appId, platform: this.platform });
    for (const card of this.plan.cards) {
      if (card.archived || day < card.fromDay || day >= card.toDay) continue;
      const fields = { card_id: card.id, card_name: card.name, app_id: this.appId, platform: this.platform };
      this.emit('users.messages.newsfeedcard.Impression', t + 1, fields);
      if (rng.chance(0.04 + 0.1 * this.engagement)) this.emit('users.messages.newsfeedcard.Click', t + 10 + rng.int(60), fields);
    }
  }

  private cardImpressions(t: number): void {
    const { rng } = this;
    const c = this.plan.campaigns.member_offers;
    const variation = c.variations[0];
    for (const cardId of this.pendingCards) {
      const fields = { campaign_id: c.id, campaign_name: c.name, message_variation_id: variation.id, content_card_id: cardId, app_id: this.appId, platform: this.platform };
      this.emit('users.messages.contentcard.Impression', t, fields);
      if (rng.chance(0.08 + 0.15 * this.engagement)) {
        const clicked = t + 5 + rng.int(60);
        this.emit('users.messages.contentcard.Click', clicked, fields);
        this.converted(c, clicked);
      } else if (rng.chance(0.15)) this.emit('users.messages.contentcard.Dismiss', t + 5 + rng.int(60), fields);
    }
    this.pendingCards = [];
  }

  private springPromo(t: number): void {
    const day = Math.floor((t - this.plan.start) / DAY);
    const { from, to } = this.plan.springPromo;
    if (this.sawSpringPromo || day < from || day >= to || !this.rng.chance(0.6)) return;
    this.sawSpringPromo = true;
    const c = this.plan.campaigns.spring_promo;
    const fields = { campaign_id: c.id, campaign_name: c.name, message_variation_id: c.variations[0].id, app_id: this.appId, platform: this.platform };
    this.emit('users.messages.inappmessage.Impression', t + 3, fields);
    if (this.rng.chance(0.1 + 0.2 * this.engagement)) {
      this.emit('users.messages.inappmessage.Click', t + 8, fields);
      this.converted(c, t + 8);
    }
  }

  // ------------------------------------------------------------------ campaigns and Canvases

  private onFirstSession(t: number): void {
    const { rng } = this;
    const welcome = this.plan.campaigns.welcome;
    if (rng.chance(welcome.controlShare)) {
      this.emit('users.campaigns.EnrollInControl', t + HOUR, { campaign_id: welcome.id, campaign_name: welcome.name });
    } else if (this.email) {
      this.campaignMessage(welcome, t + HOUR);
    }
    this.enterCanvas(this.plan.canvases.onboarding, t + 300);
  }

  private dailyMessages(d: number, dayStart: number): void {
    const { plan, rng } = this;
    const c = plan.campaigns;
    if (plan.newsletterDays.has(d) && this.newsletterOptIn && this.emailSubscribed && this.activeWithin30Days(dayStart + 14 * HOUR)) {
      if (rng.chance(c.newsletter.controlShare)) {
        this.emit('users.campaigns.EnrollInControl', dayStart + 14 * HOUR, { campaign_id: c.newsletter.id, campaign_name: c.newsletter.name });
      } else this.campaignMessage(c.newsletter, dayStart + 14 * HOUR + rng.int(900));
    }
    if (plan.flashSaleDays.has(d) && this.pushOptIn && this.activeWithin30Days(dayStart + 17 * HOUR)) {
      this.campaignMessage(c.flash_sale, dayStart + 17 * HOUR + rng.int(600));
    }
    if (d === plan.memberOffersDay && this.activeWithin30Days(dayStart + 10 * HOUR)) {
      const cardId = rng.uuid();
      const sent = dayStart + 10 * HOUR;
      const v = c.member_offers.variations[0];
      this.emit('users.messages.contentcard.Send', sent, {
        campaign_id: c.member_offers.id, campaign_name: c.member_offers.name, message_variation_id: v.id, message_variation_name: v.name, content_card_id: cardId,
      });
      this.pendingCards.push(cardId);
    }
    const daysIdle = Math.floor((dayStart - this.lastSession) / DAY);
    if (daysIdle === 14 && this.phone && this.smsSubscribed && dayStart + 17.5 * HOUR < this.end) {
      this.campaignMessage(c.winback, dayStart + 17.5 * HOUR);
    }
    if (daysIdle === 7 && dayStart - this.lastReengagement > 30 * DAY) {
      this.lastReengagement = dayStart;
      this.enterCanvas(plan.canvases.reengagement, dayStart + 9 * HOUR);
    }
    if (d % 7 === 3 && this.pushOptIn && this.lastFavorite >= dayStart - 14 * DAY && this.lastFavorite < dayStart) {
      this.campaignMessage(c.price_drop, dayStart + 11 * HOUR + rng.int(300), `price-drop-${dateLabel(dayStart)}`);
    }
  }

  private campaignMessage(c: CampaignDef, t: number, sendId?: string): void {
    if (t >= this.end) return;
    const { rng } = this;
    const channels = c.variations.map((v) => v.channel);
    const push = channels.includes('ios_push');
    const options = push ? c.variations.filter((v) => v.channel === `${this.platform}_push`) : c.variations;
    const variation = rng.weighted(options, options.map((v) => v.weight));
    if (variation.channel === 'email' && !this.emailSubscribed) return;
    const link: MessageLink = { campaign: c, variation, sendId };
    const result = sendMessage(variation.channel, t, link, this, this.uninstalled(t));
    this.afterMessage(result, variation.channel, t);
    if (result.actedAt !== undefined) this.converted(c, result.actedAt);
  }

  private enterCanvas(canvas: CanvasDef, t: number): void {
    if (t >= this.end) return;
    const { rng } = this;
    const inControl = rng.chance(canvas.controlShare);
    const variant = rng.weighted(canvas.variants, canvas.variants.map((v) => v.weight));
    this.emit('users.canvas.Entry', t, {
      canvas_id: canvas.id, canvas_name: canvas.name, canvas_variation_id: variant.id, canvas_variation_name: variant.name, in_control_group: inControl,
    });
    if (inControl) return;
    const enteredAt = t;
    for (const step of variant.steps) {
      const at = t + step.afterHours * HOUR + rng.int(600);
      this.later(at, () => {
        // A user who came back since entering re-engagement leaves before later steps.
        if (canvas.key === 'reengagement' && this.lastSession > enteredAt) return;
        const channel = step.channel === 'push' ? `${this.platform}_push` : step.channel;
        if ((channel.endsWith('_push') && !this.pushOptIn) || (channel === 'email' && !this.emailSubscribed)) return;
        const result = sendMessage(channel, at, { canvas, variant, step }, this, this.uninstalled(at));
        this.afterMessage(result, channel, at);
        if (result.actedAt !== undefined && this.rng.chance(this.buyer ? 0.3 : 0.05)) {
          const bought = result.actedAt + 120 + this.rng.int(2 * HOUR);
          if (bought < this.end) {
            this.purchase(bought, this.rng.weighted(PRODUCTS, PRODUCT_WEIGHTS).id);
            this.emit('users.canvas.Conversion', bought + 1, {
              canvas_id: canvas.id, canvas_name: canvas.name, canvas_variation_id: variant.id, canvas_variation_name: variant.name,
              canvas_step_id: step.id, canvas_step_name: step.name, conversion_behavior_index: 0,
              conversion_behavior: JSON.stringify({ type: 'Makes Any Purchase', window: 7 * DAY }),
            });
          }
        }
      });
    }
  }

  /** Opening a push starts a session; unsubscribing is remembered on the profile. */
  private afterMessage(result: Engagement, channel: string, t: number): void {
    if (result.unsubscribed) {
      if (channel === 'sms') {
        this.smsSubscribed = false;
        this.setAttributes(t + 60, { sms_subscribe: 'unsubscribed' });
      } else {
        this.emailSubscribed = false;
        this.setAttributes(t + 60, { email_subscribe: 'unsubscribed' });
      }
    }
    if (result.actedAt !== undefined && channel.endsWith('_push') && result.actedAt > this.lastSession) {
      this.session(result.actedAt + 2, false);
    }
  }

  /** A recipient who acted on a message may go on to do what the campaign is after. */
  private converted(c: CampaignDef, actedAt: number): void {
    const primary = c.conversions[0];
    if (!primary) return;
    const { rng } = this;
    let at: number | undefined;
    if (primary.type === 'Makes Any Purchase') {
      if (!rng.chance(this.buyer ? 0.25 : 0.04)) return;
      at = actedAt + 120 + rng.int(3 * HOUR);
      if (at >= this.end || at > actedAt + primary.window) return;
      this.purchase(at, rng.weighted(PRODUCTS, PRODUCT_WEIGHTS).id);
    } else if (primary.type === 'Starts Session') {
      if (actedAt <= this.lastSession || !rng.chance(0.5)) return;
      at = actedAt + 30 + rng.int(600);
      if (at >= this.end) return;
      this.session(at, false);
    } else if (primary.type === 'Performs Custom Event' && primary.custom_event_name) {
      if (!rng.chance(0.3)) return;
      at = actedAt + 60 + rng.int(HOUR);
      if (at >= this.end) return;
      this.emit('users.behaviors.CustomEvent', at, { app_id: this.appId, name: primary.custom_event_name, properties: '{}' });
    }
    if (at === undefined) return;
    this.emit('users.campaigns.Conversion', at + 1, {
      campaign_id: c.id, campaign_name: c.name, conversion_behavior_index: 0, conversion_behavior: JSON.stringify(primary), app_id: this.appId,
    });
  }

  // ------------------------------------------------------------------ plumbing

  private activeWithin30Days(t: number): boolean {
    return this.lastSession >= t - 30 * DAY;
  }

  private uninstalled(t: number): boolean {
    return t >= this.plan.start + this.uninstallDay * DAY;
  }

  private later(time: number, run: () => void): void {
    if (time < this.end) this.pending.push({ time, run });
  }

  private runPending(until: number): void {
    while (this.pending.length > 0) {
      let next = 0;
      for (let i = 1; i < this.pending.length; i++) if (this.pending[i].time < this.pending[next].time) next = i;
      if (this.pending[next].time >= until) return;
      const [job] = this.pending.splice(next, 1);
      job.run();
    }
  }

  /** Writes one record with the fields its Currents schema has (others are left out, as Braze would). */
  emit(eventType: string, time: number, fields: Fields): void {
    const t = Math.floor(time);
    if (t >= this.end || t < this.plan.start) return;
    const known = SCHEMA_FIELDS.get(eventType);
    if (!known) throw new Error(`${eventType} is not a Currents event type`);
    this.seq += 1;
    const record: CurrentsRecord = {
      id: `${this.idPrefix}${hex(this.seq >>> 16, 4)}-${hex32(this.seq & 0xffff)}${this.idSuffix}`,
      event_type: eventType,
      user_id: this.brazeId,
      external_user_id: this.externalId,
      time: t,
    };
    if (known.has('timezone')) record.timezone = this.locale.timeZone;
    if (REQUIRES_APP_GROUP.has(eventType)) record.app_group_id = this.plan.appGroupId;
    for (const key in fields) if (known.has(key)) record[key] = fields[key];
    this.sink.record(record);
  }

  private setAttributes(time: number, values: Record<string, unknown>): void {
    if (time >= this.end) return;
    this.sink.attributes({ user: this.ref, time: Math.floor(time), values });
  }

  private firstAttributes(): Record<string, unknown> {
    const { rng, locale, profile } = this;
    const year = 1960 + rng.int(46);
    const dob = `${year}-${String(1 + rng.int(12)).padStart(2, '0')}-${String(1 + rng.int(28)).padStart(2, '0')}`;
    return {
      first_name: profile.first,
      last_name: profile.last,
      ...(this.email ? { email: this.email, email_subscribe: this.newsletterOptIn ? 'opted_in' : 'subscribed' } : {}),
      ...(this.phone ? { phone: this.phone, sms_subscribe: 'subscribed' } : {}),
      gender: rng.weighted(['F', 'M', 'O', 'N'], [46, 46, 3, 5]),
      dob,
      country: locale.country,
      home_city: rng.pick(locale.cities),
      language: locale.language,
      time_zone: locale.timeZone,
      push_subscribe: this.pushOptIn ? 'opted_in' : 'subscribed',
      plan: 'free',
      favorite_category: rng.pick(CATEGORIES),
      lifetime_spend: 0,
      platform: this.platform,
    };
  }
}
