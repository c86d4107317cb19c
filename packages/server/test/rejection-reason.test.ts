import { describe, expect, it } from 'vitest';
import { rejectionReason } from '../src/ingest/rejection-reason.ts';

describe('the reason label of a rejected record', () => {
  it.each([
    // /currents (the store's messages)
    ['record must be a JSON object', 'record', 'not a JSON object'],
    ['id is required', 'record', 'no id'],
    ['event_type is required', 'record', 'no event_type'],
    ['event_type "users.nope" is not a Braze Currents event type', 'record', 'unknown event_type'],
    ['time must be a number of epoch seconds', 'record', 'invalid time'],
    ['user_id or external_user_id is required', 'record', 'no user'],
    ['name is required for a custom event', 'record', 'invalid name'],
    ['product_id is required for a purchase', 'record', 'invalid product_id'],
    ['price must be a number', 'record', 'invalid price'],
    ['quantity must be a positive integer', 'record', 'invalid quantity'],
    ['currency "XYZ" has no exchange rate: add currency_rates.XYZ to the workspace', 'record', 'currency without a rate'],
    // /users/track (normalizeTrack's messages)
    ['events[3] must be an object', 'record', 'not a JSON object'],
    ["'external_id', 'user_alias', 'braze_id', 'email' or 'phone' is required", 'attributes', 'no user'],
    ['email must be a non-empty string', 'attributes', 'invalid user identifier'],
    ['time must be ISO 8601 (got "yesterday")', 'record', 'invalid time'],
    ['currency is required and must be an ISO 4217 code such as USD', 'record', 'invalid currency'],
    ['properties must be at most 50 KB', 'record', 'invalid properties'],
    ['app_id must be a string', 'record', 'invalid app_id'],
    // An attribute may be called anything, "price" included: it is an attribute's fault.
    ['price must be at most 255 characters', 'attributes', 'invalid attribute'],
    ['gender must be one of M, F, O, N, P', 'attributes', 'invalid attribute'],
    ['something new', 'record', 'other'],
  ] as const)('%s (%s) -> %s', (message, from, reason) => {
    expect(rejectionReason(message, from)).toBe(reason);
  });
});
