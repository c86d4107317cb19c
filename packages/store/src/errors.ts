/**
 * Errors an engine raises on purpose. They carry a code, never an HTTP status: the server alone
 * decides what a caller sees (`invalid_input` is the sender's fault, `unavailable` asks to retry).
 */
export type StoreErrorCode =
  /** The input cannot be stored or answered as given (a body that is not JSON, a page out of range). */
  | 'invalid_input'
  /** The engine cannot take the work now (closing, overloaded); the same request may succeed later. */
  | 'unavailable'
  /** The engine lacks an optional capability. */
  | 'capability_missing'
  /** What the request names does not exist (a workspace, a snapshot). */
  | 'not_found'
  /** The name is taken (a workspace that exists already). */
  | 'conflict';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** Per-item reasons, when the input was a list. */
    readonly errors?: unknown[],
  ) {
    super(message);
    this.name = 'StoreError';
  }
}
