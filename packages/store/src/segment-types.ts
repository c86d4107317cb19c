import type { SegmentFilter } from '@brazen/analytics';

/** Types of the segment, profile and user-export parts of the Store (SPEC §3, §5, §6). */

export type { SegmentInstant } from '@brazen/analytics';

/** How /users/export/ids names users. */
export type UserIdKind = 'external_id' | 'alias' | 'braze_id' | 'email' | 'phone' | 'device_id';

export interface ProfileOptions {
  /** Top-level fields of the user export object to include (USER_EXPORT_FIELDS names). */
  fields: readonly string[];
  /** When given, only these custom attributes go into `custom_attributes`. */
  customAttributes?: readonly string[];
  /** Computed from the records even where kept profiles are fresh (to check the kept ones). */
  fromEvents?: boolean;
}

/** How a refresh of kept profiles goes (`KeptProfiles.refresh`). */
export interface RefreshOptions {
  /** Asked before each batch and while one computes: true stops the refresh (a batch under way is
   * interrupted and rolled back; the rest stays due). */
  stop?: () => boolean;
  /** Users computed per batch (one transaction each). */
  batchUsers?: number;
  onProgress?: (done: number, total: number) => void;
  /** Progress of a one-time catch-up (the kept lines of a folder compressed in blocks): files done of all. */
  onCatchUp?: (what: string, done: number, total: number) => void;
}

/** NDJSON text of profiles: in memory, or read on demand (`chunks()`, to be iterated once: a
 * chunk's bytes are good until the next chunk is asked for, as a reader may reuse its buffers). */
export type ProfileText = Uint8Array | {
  chunks: () => AsyncIterable<Uint8Array>;
  /** The same text as parts: runs of text (good until the next part is asked for) and deflate
   * fragments of the text at that place (kept compressed: copied, not compressed again, into a gzip
   * or zip file). Iterated once, instead of `chunks()`. */
  parts?: () => AsyncIterable<ProfilePart>;
};

/** A part of a profile text: text, or a raw deflate fragment of `length` bytes of it whose CRC-32
 * is `crc`, compressed on its own (no reference before its start) and ended by a sync flush
 * (byte-aligned, no final block): fragments one after the other and a final block are one stream. */
export type ProfilePart = { text: Uint8Array } | { deflate: Uint8Array; crc: number; length: number };

/** An export's member profiles read batch by batch (one connection for the whole job). */
export interface ExportProfiles {
  /** The NDJSON text (UTF-8, a line per user, each ending in a newline) of the members ranked
   * `from` (inclusive) to `to` (exclusive), in rank order, in pieces of `perPiece` members. */
  read(from: number, to: number, perPiece: number): Promise<ProfileText[]>;
  close(): void;
}

export type ExportJobStatus = 'pending' | 'running' | 'done' | 'failed' | 'cancelled';

/** One user export of a segment (or of the Global Control Group), kept so that it survives a restart. */
export interface ExportJob {
  id: string;
  /** `UUID-EPOCHSECONDS`, the prefix of every file name. */
  objectPrefix: string;
  kind: 'segment' | 'global_control_group';
  /** Segment id (or the Global Control Group's id, `global_control_group` when it has none). */
  segmentId: string;
  /** Filter as it was when the export started; undefined for all users. */
  filter?: SegmentFilter;
  fields: string[];
  customAttributes?: string[];
  outputFormat: 'zip' | 'gzip';
  destination: 's3' | 'local';
  callbackEndpoint?: string;
  /** Base URL of the server that took the request, for the download URL given to the callback. */
  baseUrl?: string;
  status: ExportJobStatus;
  /** Epoch seconds. */
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** Members, once the snapshot of the segment is taken. */
  users?: number;
  files?: number;
  filesDone: number;
  callback: 'none' | 'pending' | 'sent' | 'failed';
  callbackAttempts: number;
  error?: string;
}

export type ExportJobPatch = Partial<Omit<ExportJob, 'id'>>;
