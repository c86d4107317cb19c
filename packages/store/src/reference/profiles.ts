import { nameBook, userExportText, type RecordedData, type UserRecords } from '@brazen/analytics';
import type { ExportProfiles, ProfileOptions, Workspace } from '../types.ts';

/** User export objects computed from the recorded arrays, for the users named (by braze_id). */
export function profileTexts(data: RecordedData, ws: Workspace, brazeIds: readonly string[], options: ProfileOptions): string[] {
  const wanted = new Set(brazeIds);
  const records = new Map<string, UserRecords>();
  for (const user of data.users) if (wanted.has(user.brazeId)) records.set(user.brazeId, { user, identities: [], attributes: [], events: [] });
  const own = <T extends { user: string }>(items: readonly T[], into: (r: UserRecords) => T[]) => {
    for (const item of items) {
      const r = records.get(item.user);
      if (r) into(r).push(item);
    }
  };
  own(data.identities, (r) => r.identities as typeof data.identities[number][]);
  own(data.attributes, (r) => r.attributes as typeof data.attributes[number][]);
  own(data.events, (r) => r.events as typeof data.events[number][]);
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
