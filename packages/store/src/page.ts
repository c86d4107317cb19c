import { StoreError } from './errors.ts';

/** A page of names (`AnalyticsData.names`) is checked the same way by every engine. */
export function checkPage(offset: number, limit: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(limit) || offset < 0 || limit < 0) {
    throw new StoreError('invalid_input', 'page must be an integer between 0 and 1000000');
  }
}
