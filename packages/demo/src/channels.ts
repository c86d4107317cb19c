import { DEVICE_MODELS, MAILBOX_PROVIDERS, type Platform } from './catalog.ts';
import type { CampaignDef, CanvasDef, CanvasStepDef, CanvasVariantDef, Variation } from './plan.ts';
import type { Random } from './random.ts';

export type FieldValue = string | number | boolean | null;
export type Fields = Record<string, FieldValue>;

/** What a message belongs to: a campaign variation, or a Canvas step; `sendId` for API sends. */
export interface MessageLink {
  campaign?: CampaignDef;
  variation?: Variation;
  canvas?: CanvasDef;
  variant?: CanvasVariantDef;
  step?: CanvasStepDef;
  sendId?: string;
}

/** The recipient as the funnels need it. */
export interface Recipient {
  rng: Random;
  platform: Platform;
  appId: string;
  deviceId: string;
  email: string | null;
  phone: string | null;
  /** Probability scale of engaging with a message, 0–1. */
  engagement: number;
  emit(eventType: string, time: number, fields: Fields): void;
}

/** Linkage fields every engagement record of a message carries. */
export function linkFields(link: MessageLink): Fields {
  const f: Fields = {};
  if (link.campaign) {
    f.campaign_id = link.campaign.id;
    f.campaign_name = link.campaign.name;
  }
  if (link.variation) {
    f.message_variation_id = link.variation.id;
    f.message_variation_name = link.variation.name;
  }
  if (link.canvas && link.variant && link.step) {
    f.message_variation_id = link.step.messageVariationId;
    f.canvas_id = link.canvas.id;
    f.canvas_name = link.canvas.name;
    f.canvas_variation_id = link.variant.id;
    f.canvas_variation_name = link.variant.name;
    f.canvas_step_id = link.step.id;
    f.canvas_step_name = link.step.name;
    f.canvas_step_message_variation_id = link.step.messageVariationId;
  }
  if (link.sendId) f.send_id = link.sendId;
  return f;
}

/** The result of one message: when the user acted on it (opened a push, clicked an email), if at all. */
export interface Engagement {
  sent: boolean;
  actedAt?: number;
  unsubscribed?: boolean;
}

const minutes = (rng: Random, mean: number) => Math.max(1, Math.round(rng.exponential(mean))) * 60;

/** Sends one message on its channel and plays out the recipient's funnel with realistic rates. */
export function sendMessage(channel: string, t: number, link: MessageLink, to: Recipient, uninstalled: boolean): Engagement {
  const { rng } = to;
  const base = linkFields(link);
  const e = to.engagement;
  switch (channel) {
    case 'email': {
      if (!to.email) return { sent: false };
      const mail = { ...base, email_address: to.email };
      to.emit('users.messages.email.Send', t, mail);
      if (rng.chance(0.018)) {
        to.emit('users.messages.email.Bounce', t + 30, { ...mail, bounce_reason: '550 5.1.1 mailbox unavailable' });
        return { sent: true };
      }
      const delivered = t + 20 + rng.int(120);
      to.emit('users.messages.email.Delivery', delivered, { ...mail, mailbox_provider: rng.pick(MAILBOX_PROVIDERS) });
      if (rng.chance(0.0008)) to.emit('users.messages.email.MarkAsSpam', delivered + minutes(rng, 600), mail);
      if (!rng.chance(0.1 + 0.4 * e)) {
        if (rng.chance(0.002)) {
          to.emit('users.messages.email.Unsubscribe', delivered + minutes(rng, 900), mail);
          return { sent: true, unsubscribed: true };
        }
        return { sent: true };
      }
      const opened = delivered + minutes(rng, 180);
      to.emit('users.messages.email.Open', opened, { ...mail, machine_open: to.platform === 'ios' && rng.chance(0.3) ? 'true' : null });
      if (rng.chance(0.2)) to.emit('users.messages.email.Open', opened + minutes(rng, 600), mail);
      if (rng.chance(0.006)) {
        to.emit('users.messages.email.Unsubscribe', opened + 40, mail);
        return { sent: true, unsubscribed: true };
      }
      if (!rng.chance(0.12 + 0.3 * e)) return { sent: true };
      const clicked = opened + 10 + rng.int(300);
      to.emit('users.messages.email.Click', clicked, { ...mail, url: 'https://shop.example/deals', link_alias: 'cta' });
      if (rng.chance(0.15)) to.emit('users.messages.email.Click', clicked + minutes(rng, 30), { ...mail, url: 'https://shop.example/', link_alias: 'logo' });
      return { sent: true, actedAt: clicked };
    }
    case 'push':
    case 'ios_push':
    case 'android_push':
    case 'web_push': {
      const push = { ...base, app_id: to.appId, platform: to.platform, device_id: to.deviceId, device_model: rng.pick(DEVICE_MODELS[to.platform]) };
      to.emit('users.messages.pushnotification.Send', t, push);
      if (uninstalled || rng.chance(0.012)) {
        to.emit('users.messages.pushnotification.Bounce', t + 5, push);
        return { sent: true };
      }
      if (!rng.chance(0.03 + 0.14 * e)) return { sent: true };
      const opened = t + minutes(rng, 45);
      to.emit('users.messages.pushnotification.Open', opened, push);
      return { sent: true, actedAt: opened };
    }
    case 'sms': {
      if (!to.phone) return { sent: false };
      const sms = { ...base, to_phone_number: to.phone, subscription_group_id: String(link.variation?.message.subscription_group_id ?? '') };
      to.emit('users.messages.sms.Send', t, sms);
      const r = rng.next();
      if (r < 0.015) {
        to.emit('users.messages.sms.Rejection', t + 2, { ...sms, error: 'Invalid number' });
        return { sent: true };
      }
      to.emit('users.messages.sms.CarrierSend', t + 2, { ...sms, from_phone_number: '+15555550100' });
      if (r < 0.035) {
        to.emit('users.messages.sms.DeliveryFailure', t + 20, { ...sms, error: 'Carrier rejected', provider_error_code: '30008' });
        return { sent: true };
      }
      to.emit('users.messages.sms.Delivery', t + 15 + rng.int(60), { ...sms, from_phone_number: '+15555550100' });
      if (rng.chance(0.008)) {
        to.emit('users.messages.sms.InboundReceive', t + minutes(rng, 60), {
          ...base, user_phone_number: to.phone, inbound_phone_number: '+15555550100', message_body: 'STOP', action: 'Unsubscribed',
        });
        return { sent: true, unsubscribed: true };
      }
      if (!rng.chance(0.04 + 0.12 * e)) return { sent: true };
      const clicked = t + minutes(rng, 60);
      to.emit('users.messages.sms.ShortLinkClick', clicked, { ...base, url: 'https://shop.example/back', short_url: 'https://brz.example/b15' });
      return { sent: true, actedAt: clicked };
    }
    case 'whats_app': {
      if (!to.phone) return { sent: false };
      const wa = { ...base, from_phone_number: '+15555550123', to_phone_number: to.phone };
      to.emit('users.messages.whatsapp.Send', t, wa);
      if (rng.chance(0.03)) {
        to.emit('users.messages.whatsapp.Failure', t + 3, { ...wa, provider_error_code: '131026', provider_error_title: 'Message undeliverable' });
        return { sent: true };
      }
      to.emit('users.messages.whatsapp.Delivery', t + 3 + rng.int(30), wa);
      if (!rng.chance(0.55 + 0.35 * e)) return { sent: true };
      const read = t + minutes(rng, 90);
      to.emit('users.messages.whatsapp.Read', read, wa);
      if (!rng.chance(0.1 + 0.1 * e)) return { sent: true };
      const clicked = read + 30 + rng.int(600);
      to.emit('users.messages.whatsapp.Click', clicked, { ...base, url: 'https://shop.example/orders', short_url: 'https://brz.example/o1' });
      return { sent: true, actedAt: clicked };
    }
    case 'webhook': {
      to.emit('users.messages.webhook.Send', t, base);
      if (rng.chance(0.01)) to.emit('users.messages.webhook.Failure', t + 1, { ...base, http_status_code: 503, host: 'crm.example', is_terminal: true, raw_response: 'Service Unavailable' });
      return { sent: true };
    }
    default:
      throw new Error(`the demo cannot send on channel ${channel}`);
  }
}
