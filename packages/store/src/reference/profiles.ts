import {
  nameBook, userExportText, type AttributeEntry, type RecordedData, type StoredEvent, type StoredIdentity, type StoredUser,
} from '@brazen/analytics';
import type { ExportProfiles, ProfileOptions, Workspace } from '../types.ts';

/** User export objects computed from the recorded arrays, for the users named (by braze_id). */
export function profileTexts(data: RecordedData, ws: Workspace, brazeIds: readonly string[], options: ProfileOptions): string[] {
  const wanted = new Set(brazeIds);
  const records = new Map<string, { user: StoredUser; identities: StoredIdentity[]; attributes: AttributeEntry[]; events: StoredEvent[] }>();
  for (const user of data.users) if (wanted.has(user.brazeId)) records.set(user.brazeId, { user, identities: [], attributes: [], events: [] });
  for (const i of data.identities) records.get(i.user)?.identities.push(i);
  for (const a of data.attributes) records.get(a.user)?.attributes.push(a);
  for (const e of data.events) records.get(e.user)?.events.push(e);
  const book = nameBook(ws);
  return brazeIds.map((id) => {
    const r = records.get(id);
    if (!r) throw new Error(`no user has braze_id ${id}`);
    return userExportText(r, book, options);
  });
}

/** An export's profiles: computed from the data as it is when each piece is read. */
export function exportProfiles(read: () => { data: RecordedData; ws: Workspace; members: readonly string[] }, options: ProfileOptions): ExportProfiles {
  return {
    async read(from, to, perPiece) {
      const { data, ws, members } = read();
      const pieces: Uint8Array[] = [];
      for (let first = from; first < to; first += perPiece) {
        const texts = profileTexts(data, ws, members.slice(first, Math.min(to, first + perPiece)), options);
        pieces.push(new TextEncoder().encode(texts.map((t) => `${t}\n`).join('')));
      }
      return pieces;
    },
    close() {},
  };
}
