import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AttributeEntry, StoredEvent, StoredIdentity, StoredUser } from '@brazen/analytics';
import type { ApiKeyRecord, ExportJob, ImportedObject, Workspace } from '../types.ts';

/** Everything the reference engine keeps: the recorded data as plain arrays, in the order recorded,
 * and the catalog. Nothing derived is kept: every query computes from these. */
export interface ReferenceState {
  users: StoredUser[];
  identities: StoredIdentity[];
  events: StoredEvent[];
  attributes: AttributeEntry[];
  workspace?: Workspace;
  exportJobs: ExportJob[];
  /** Members of each export job, by braze_id, in rank order. */
  exportMembers: Record<string, string[]>;
  secrets: Record<string, string>;
  /** The import ledger: bucket objects whose records are all stored, one entry a (URL, ETag). */
  imported: ImportedObject[];
  keys: ApiKeyRecord[];
}

export const emptyState = (): ReferenceState => ({
  users: [], identities: [], events: [], attributes: [], exportJobs: [], exportMembers: {}, secrets: {}, imported: [], keys: [],
});

const FILE = 'reference.json';

/** The state kept in `dir` (a new one when there is none). */
export function loadState(dir: string): ReferenceState {
  const file = join(dir, FILE);
  return existsSync(file) ? { ...emptyState(), ...(JSON.parse(readFileSync(file, 'utf8')) as ReferenceState) } : emptyState();
}

/** Writes the state to `dir`, whole or not at all (a new file renamed over the old). */
export function saveState(dir: string, state: ReferenceState): void {
  mkdirSync(dir, { recursive: true });
  const next = join(dir, `${FILE}.${randomBytes(4).toString('hex')}`);
  writeFileSync(next, JSON.stringify(state));
  renameSync(next, join(dir, FILE));
}
