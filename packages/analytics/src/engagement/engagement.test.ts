import { describe, expect, it } from 'vitest';
import { CURRENTS_EVENT_TYPES } from '@brazen/contract';
import { at, event } from '../records.fixture.ts';
import { ACTION_REFINEMENTS, RECEIVED_EVENT_TYPES, engagementRows, payloadText, receiptAction, type EngagementRow } from './index.ts';

const T = at('2024-03-01T10:00:00Z');
const PUSH = 'users.messages.pushnotification.';
const EMAIL = 'users.messages.email.';
const IAM = 'users.messages.inappmessage.';
const SMS = 'users.messages.sms.';

/** The key of each row (what a series counts it under), and whether it is a receipt / unique-tracked. */
const keys = (rows: EngagementRow[]) => rows.map((r) => `${r.src} ${r.obj} ${r.part}|${r.variation}|${r.send} ${r.channel} ${r.action}${r.receipt ? ' R' : ''}${r.unique ? ' U' : ''}`);
const campaignEvent = (type: string, fields: Parameters<typeof event>[3] = {}) =>
  event(type, 'u1', T, { campaignId: 'c1', messageVariationId: 'v1', ...fields });

describe('engagement: an event becomes the rows it counts as', () => {
  it('puts push events in the channel of their platform', () => {
    // ios and tvos are iOS push; another platform makes its own channel; no platform is "unknown".
    expect(keys(engagementRows(campaignEvent(`${PUSH}Send`, { platform: 'iOS', sendId: 's1' })))).toEqual(['campaign c1 |v1|s1 ios_push send R U']);
    expect(keys(engagementRows(campaignEvent(`${PUSH}Send`, { platform: 'tvos' })))).toEqual(['campaign c1 |v1| ios_push send R U']);
    expect(keys(engagementRows(campaignEvent(`${PUSH}Bounce`, { platform: 'Windows' })))).toEqual(['campaign c1 |v1| windows_push bounce']);
    expect(keys(engagementRows(campaignEvent(`${PUSH}Send`)))).toEqual(['campaign c1 |v1| unknown_push send R U']);
  });

  it('refines an action by a field of the record', () => {
    // A push opened from a button (any button_string, even empty; not a null one).
    expect(keys(engagementRows(campaignEvent(`${PUSH}Open`, { platform: 'android', payload: { button_string: '' } })))).toEqual([
      'campaign c1 |v1| android_push open_button',
    ]);
    expect(keys(engagementRows(campaignEvent(`${PUSH}Open`, { platform: 'android', payload: { button_string: null } })))).toEqual([
      'campaign c1 |v1| android_push open',
    ]);
    // In-app clicks on button 0 or 1 (a number or a string); button 2 is a plain click. An impression is the receipt.
    expect(keys(engagementRows(campaignEvent(`${IAM}Click`, { payload: { button_id: 1 } })))).toEqual(['campaign c1 |v1| trigger_in_app_message button_1']);
    expect(keys(engagementRows(campaignEvent(`${IAM}Click`, { payload: { button_id: '0' } })))).toEqual(['campaign c1 |v1| trigger_in_app_message button_0']);
    expect(keys(engagementRows(campaignEvent(`${IAM}Click`, { payload: { button_id: '2' } })))).toEqual(['campaign c1 |v1| trigger_in_app_message click']);
    expect(keys(engagementRows(campaignEvent(`${IAM}Impression`)))).toEqual(['campaign c1 |v1| trigger_in_app_message impression R U']);
    // SMS replies: an unsubscribing one opts out; " help " (spaces trimmed, any case) asks for help; a
    // tab is not trimmed (SQL's trim removes spaces only), so "\thelp" is a plain inbound message.
    expect(keys(engagementRows(campaignEvent(`${SMS}InboundReceive`, { payload: { action: 'Unsubscribed', message_body: 'HELP' } })))).toEqual([
      'campaign c1 |v1| sms opt_out',
    ]);
    expect(keys(engagementRows(campaignEvent(`${SMS}InboundReceive`, { payload: { message_body: ' help  ' } })))).toEqual(['campaign c1 |v1| sms help']);
    expect(keys(engagementRows(campaignEvent(`${SMS}InboundReceive`, { payload: { message_body: '\thelp' } })))).toEqual([
      'campaign c1 |v1| sms inbound_receive',
    ]);
  });

  it('counts an email opened by a machine as an open and a machine open, for campaigns and steps', () => {
    const open = event(`${EMAIL}Open`, 'u1', T, {
      campaignId: 'c1', messageVariationId: 'v1', canvasId: 'k1', canvasStepId: 'st1', payload: { machine_open: 'true' },
    });
    expect(keys(engagementRows(open))).toEqual([
      'campaign c1 |v1| email open U', 'campaign c1 |v1| email machine_open',
      'step k1 st1|v1| email open U', 'step k1 st1|v1| email machine_open',
    ]);
    // JSON true reads as "true" too; false is an ordinary open.
    expect(keys(engagementRows(campaignEvent(`${EMAIL}Open`, { payload: { machine_open: true } })))).toHaveLength(2);
    expect(keys(engagementRows(campaignEvent(`${EMAIL}Open`, { payload: { machine_open: false } })))).toEqual(['campaign c1 |v1| email open U']);
  });

  it('keys a Canvas step by the step message variation of the record, entries by variant, control enrolments as receipts', () => {
    const step = event(`${EMAIL}Send`, 'u1', T, {
      canvasId: 'k1', canvasVariationId: 'kv1', canvasStepId: 'st1', messageVariationId: 'mv', payload: { canvas_step_message_variation_id: 'smv' },
    });
    expect(keys(engagementRows(step))).toEqual(['step k1 st1|smv| email send R U']);
    const noStepVariation = event(`${EMAIL}Send`, 'u1', T, { canvasId: 'k1', canvasStepId: 'st1', messageVariationId: 'mv' });
    expect(keys(engagementRows(noStepVariation))).toEqual(['step k1 st1|mv| email send R U']);
    // A Canvas without a step id counts for no step.
    expect(keys(engagementRows(event(`${EMAIL}Send`, 'u1', T, { canvasId: 'k1' })))).toEqual([]);
    const entry = event('users.canvas.Entry', 'u1', T, { canvasId: 'k1', canvasVariationId: 'kv1', campaignId: 'c9' });
    expect(keys(engagementRows(entry))).toEqual(['canvas k1 |kv1| canvas entry']);
    const control = event('users.campaigns.EnrollInControl', 'u1', T, { campaignId: 'c1', messageVariationId: 'ctl' });
    expect(keys(engagementRows(control))).toEqual(['campaign c1 |ctl| control enrolled R U']);
  });

  it('finds no engagement in behaviour or News Feed events', () => {
    expect(engagementRows(event('users.behaviors.CustomEvent', 'u1', T, { name: 'x', campaignId: 'c1' }))).toEqual([]);
    expect(engagementRows(event('users.messages.newsfeedcard.Click', 'u1', T, { campaignId: 'c1' }))).toEqual([]);
  });

  it('has one definition of a received message: sends, and in-app impressions (which have no send)', () => {
    // The list segments and user exports used before: every `send` of the catalogue and the in-app impression.
    const before = CURRENTS_EVENT_TYPES.filter((t) => t.action === 'send' || (t.channel === 'in_app_message' && t.action === 'impression'))
      .map((t) => t.eventType);
    expect([...RECEIVED_EVENT_TYPES].sort()).toEqual(before.sort());
    expect(RECEIVED_EVENT_TYPES).not.toContain('users.campaigns.EnrollInControl');
    // A refinement never makes or unmakes a receipt, so the event type alone tells a received message.
    for (const r of ACTION_REFINEMENTS) expect(['send', 'impression', 'enrolled']).not.toContain(r.becomes);
    expect(receiptAction('email')).toBe('send');
  });

  it('reads a field as text the way SQL engines read JSON', () => {
    const p = { s: 'x', n: 12, f: 1.5, b: false, z: null, a: [1, 'y'], o: { k: true } };
    expect(['s', 'n', 'f', 'b', 'z', 'a', 'o', 'missing'].map((k) => payloadText(p, k))).toEqual(['x', '12', '1.5', 'false', null, '[1,"y"]', '{"k":true}', null]);
  });
});
