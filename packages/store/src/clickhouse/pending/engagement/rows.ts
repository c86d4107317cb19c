import type { StoredEvent } from '../records.ts';
import { CANVAS_CHANNEL, ENGAGEMENT_TYPES, isReceipt, isUniqueTracked, seriesChannel } from './channels.ts';
import { MACHINE_OPEN, STEP_VARIATION_FIELD, isMachineOpen, payloadText, refinedAction } from './refinements.ts';

/**
 * Whose messages a row counts for: a campaign (`obj` = campaign id, `variation` = message variation
 * id), a Canvas (`obj` = canvas id, entries by `variation` = canvas variant id) or the steps of a
 * Canvas (`obj` = canvas id, `part` = step id, `variation` = the step's message variation id).
 */
export type MessageSource = 'campaign' | 'canvas' | 'step';

/** One row of engagement an event counts as: the key of a campaign, Canvas or step series. */
export interface EngagementRow {
  src: MessageSource;
  obj: string;
  /** The Canvas step id (src `step`), else ''. */
  part: string;
  /** Message variation id (campaign, step) or Canvas variant id (canvas); '' when the record has none. */
  variation: string;
  /** The API campaign's send id (src `campaign`), else ''. */
  send: string;
  /** Series channel (`email`, `ios_push`, `trigger_in_app_message`, `control`, `canvas`, ...). */
  channel: string;
  action: string;
  /** It makes the user a recipient (see `isReceipt`). */
  receipt: boolean;
  /** Distinct users are counted for it (receipts and UNIQUE_ACTIONS). */
  unique: boolean;
  time: number;
  user: string;
}

/**
 * The rows an event counts as (none for an event that is not engagement):
 * - a campaign's message event: one row for the campaign (and a second, `machine_open`, for an
 *   email open made by a machine);
 * - a Canvas step's message event: one row for the step, by the step's message variation (the
 *   record's `canvas_step_message_variation_id`, else its `message_variation_id`), machine opens too;
 * - a Canvas entry: one row for the Canvas, by variant.
 * An event of a campaign sent from a Canvas step counts for both.
 */
export function engagementRows(e: StoredEvent): EngagementRow[] {
  const type = ENGAGEMENT_TYPES.get(e.eventType);
  if (type === undefined) return [];
  const channel = seriesChannel(type.channel, e.platform);
  const action = refinedAction(type.channel, type.action, e.payload);
  const machine = isMachineOpen(type.channel, type.action, e.payload);
  const out: EngagementRow[] = [];
  const add = (src: MessageSource, obj: string, part: string, variation: string, send: string) => {
    out.push(row(src, obj, part, variation, send, channel, action, e));
    if (machine) out.push(row(src, obj, part, variation, send, channel, MACHINE_OPEN.adds, e));
  };
  if (channel === CANVAS_CHANNEL) {
    if (e.canvasId !== null) out.push(row('canvas', e.canvasId, '', e.canvasVariationId ?? '', '', channel, action, e));
    return out;
  }
  if (e.campaignId !== null) add('campaign', e.campaignId, '', e.messageVariationId ?? '', e.sendId ?? '');
  if (e.canvasId !== null && e.canvasStepId !== null) {
    const variation = payloadText(e.payload, STEP_VARIATION_FIELD) ?? e.messageVariationId ?? '';
    add('step', e.canvasId, e.canvasStepId, variation, '');
  }
  return out;
}

function row(
  src: MessageSource, obj: string, part: string, variation: string, send: string, channel: string, action: string, e: StoredEvent,
): EngagementRow {
  return {
    src, obj, part, variation, send, channel, action,
    receipt: isReceipt(channel, action),
    unique: isUniqueTracked(channel, action),
    time: e.time,
    user: e.user,
  };
}
