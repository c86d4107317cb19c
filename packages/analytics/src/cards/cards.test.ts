import { describe, expect, it } from 'vitest';
import { event, recorded } from '../records.fixture.ts';
import { CARD_CLICK, CARD_IMPRESSION, cardStats } from './stats.ts';

describe('News Feed card statistics', () => {
  // Two units, [0, 100) and [100, 200), of card k1.
  const data = recorded([
    event(CARD_IMPRESSION, 'u1', 10, { cardId: 'k1' }),
    event(CARD_CLICK, 'u1', 10, { cardId: 'k1' }),
    event(CARD_CLICK, 'u1', 20, { cardId: 'k1' }), // u1 clicks twice: two clicks, one unique click
    event(CARD_CLICK, 'u2', 30, { cardId: 'internal', payload: { card_api_id: 'k1' } }), // the API id in card_api_id wins
    event(CARD_CLICK, 'u3', 40, { cardId: 'k1', payload: { card_api_id: 'k2' } }), // another card
    event(CARD_IMPRESSION, 'u1', 150, { cardId: 'k1' }),
    event(CARD_IMPRESSION, 'u2', 150, { cardId: 'k1' }),
    event(CARD_CLICK, 'u2', 199.5, { cardId: 'k1' }),
    event(CARD_CLICK, 'u2', 200, { cardId: 'k1' }), // at the end of the last unit: outside
    event(CARD_CLICK, 'u2', -1, { cardId: 'k1' }), // before the first
  ]);

  it('counts impressions and clicks per unit, and distinct users of each (a user clicking twice is one unique click)', () => {
    expect(cardStats(data, { cardId: 'k1', bounds: [0, 100, 200] })).toEqual([
      // Unit 0: impression u1; clicks u1, u1, u2 → 3 clicks by 2 users.
      { unit: 0, impressions: 1, clicks: 3, uniqueImpressions: 1, uniqueClicks: 2 },
      // Unit 1: impressions u1, u2; click u2 at 199.5.
      { unit: 1, impressions: 2, clicks: 1, uniqueImpressions: 2, uniqueClicks: 1 },
    ]);
  });

  it('answers no row for a unit without engagement, and nothing without units', () => {
    expect(cardStats(data, { cardId: 'k1', bounds: [100, 150, 160, 200] })).toEqual([
      { unit: 1, impressions: 2, clicks: 0, uniqueImpressions: 2, uniqueClicks: 0 },
      { unit: 2, impressions: 0, clicks: 1, uniqueImpressions: 0, uniqueClicks: 1 },
    ]);
    expect(cardStats(data, { cardId: 'k1', bounds: [0] })).toEqual([]);
  });
});
