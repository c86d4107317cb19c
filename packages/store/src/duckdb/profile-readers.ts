import { createReadStream, rmSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBBlobValue, DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';
import type { ExportProfiles, ProfileOptions, ProfilePart, ProfileText, UserIdKind, Workspace } from '../types.ts';
import { blockFileName, type Block } from './profile-blocks.ts';
import { crc32Combine } from '../crc32.ts';
import { exportMembersSql } from './export-jobs.ts';
import { identitiesByValue, literal, rows, rowsWhereIn } from './sql.ts';
import { KEPT_FIELDS, keptProfilesDueSql, loadNames, partsObject, profileFileName, profileSql } from './profile-sql.ts';

/** Profiles of the users `brazeIds` name, in that order. Takes ownership of `conn` (a connection of
 * its own). With `keptOnes`, kept profiles are read when every one of them is kept and fresh. */
export async function userProfiles(conn: DuckDBConnection, ws: Workspace, brazeIds: string[], options: ProfileOptions, keptOnes = false): Promise<string[]> {
  try {
    if (brazeIds.length === 0) return [];
    const uidOf = new Map((await rowsWhereIn<{ braze_id: string; uid: number }>(conn, 'SELECT braze_id, uid FROM users WHERE braze_id', [...new Set(brazeIds)])).map((r) => [r.braze_id, r.uid]));
    const uids = brazeIds.map((id) => {
      const uid = uidOf.get(id);
      if (uid === undefined) throw new Error(`no user has braze_id ${id}`);
      return uid;
    });
    await loadNames(conn, ws);
    await conn.run(`CREATE OR REPLACE TEMP TABLE m (uid INTEGER, ord INTEGER)`);
    const app = await conn.createAppender('m', 'main', 'temp');
    uids.forEach((uid, ord) => {
      app.appendInteger(uid);
      app.appendInteger(ord);
      app.endRow();
    });
    app.closeSync();
    // Every one kept and fresh: read, not computed (computing scans every stored event, which on
    // a large store takes far longer than a request should).
    if (keptOnes && options.customAttributes === undefined && !options.fromEvents) {
      const due = await rows<{ n: number }>(conn, `SELECT count(*)::INTEGER AS n FROM (${keptProfilesDueSql('SELECT uid FROM m')})`);
      if (due[0]?.n === 0) {
        const fields = options.fields.filter((f) => KEPT_FIELDS.includes(f));
        // The uids as constants: the scan of the parts then reads only the vectors that hold them.
        const kept = await rows<{ line: string }>(
          conn,
          `SELECT ${partsObject(fields)} AS line FROM m JOIN (SELECT * FROM profile_parts WHERE uid IN (${[...new Set(uids)].join(', ')})) p ON p.uid = m.uid ORDER BY m.ord`,
        );
        if (kept.length === uids.length) return kept.map((r) => r.line);
      }
    }
    return (await rows<{ line: string }>(conn, profileSql(new Set(options.fields), options.customAttributes, undefined, uids))).map((r) => r.line);
  } finally {
    conn.closeSync();
  }
}

/**
 * Profiles of an export's members, batch by batch, on one connection of its own for the whole job:
 * the workspace names are loaded and the statement is prepared once. DuckDB joins each file's lines
 * (NDJSON, one line per user ending in a newline) into one value handed over as bytes, so that no
 * per-user string crosses into JS.
 */
export class ExportProfileReader implements ExportProfiles {
  private constructor(
    private readonly conn: DuckDBConnection,
    private readonly statement: DuckDBPreparedStatement,
  ) {}

  /** Takes ownership of `conn`: the profiles of the job's members, computed from the events. */
  static async open(conn: DuckDBConnection, ws: Workspace, jobId: string, options: ProfileOptions): Promise<ExportProfileReader> {
    try {
      const members = `SELECT uid, rn AS ord FROM (${exportMembersSql(jobId)}) WHERE rn >= $from AND rn < $to`;
      await loadNames(conn, ws);
      const profiles = profileSql(new Set(options.fields), options.customAttributes, members);
      // encode: the text's UTF-8 bytes (a cast to BLOB refuses any character beyond ASCII).
      const statement = await conn.prepare(
        `SELECT (ord - $from) // $per AS piece, count(*)::INTEGER AS users, encode(string_agg(line || chr(10), '' ORDER BY ord)) AS text
         FROM (${profiles}) GROUP BY piece ORDER BY piece`,
      );
      return new ExportProfileReader(conn, statement);
    } catch (error) {
      conn.closeSync();
      throw error;
    }
  }

  /** Most members per query; lowered (to whole pieces) when DuckDB runs out of memory. */
  private maxMembers = Infinity;

  async read(from: number, to: number, perPiece: number): Promise<Uint8Array[]> {
    const pieces: Uint8Array[] = [];
    for (let start = from; start < to;) {
      const end = Math.min(to, start + this.maxMembers);
      try {
        pieces.push(...(await this.query(start, end, perPiece)));
        start = end;
      } catch (error) {
        // DuckDB's memory limit is too low for this many profiles at once: take fewer per query from now on.
        const pieceCount = Math.ceil((end - start) / perPiece);
        if (!(error instanceof Error && error.message.startsWith('Out of Memory')) || pieceCount <= 1) throw error;
        this.maxMembers = Math.ceil(pieceCount / 2) * perPiece;
      }
    }
    return pieces;
  }

  /** Members whose lines DuckDB joins into one value: small parts of a file build faster (and
   * in less memory) than whole files of 5,000 users; they are joined in JS. */
  private static readonly PART = 500;

  private async query(from: number, to: number, perPiece: number): Promise<Uint8Array[]> {
    const part = perPiece % ExportProfileReader.PART === 0 ? ExportProfileReader.PART : perPiece;
    this.statement.bindInteger(this.statement.parameterIndex('from'), from);
    this.statement.bindInteger(this.statement.parameterIndex('to'), to);
    this.statement.bindInteger(this.statement.parameterIndex('per'), part);
    const result = await this.statement.stream();
    const parts: Uint8Array[] = [];
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const users = chunk.getColumnVector(1);
      const column = chunk.getColumnVector(2);
      for (let i = 0; i < chunk.rowCount; i++) {
        // Every member has a profile: a part short of users means some were lost on the way.
        const first = from + parts.length * part;
        const expected = Math.min(part, to - first);
        if (users.getItem(i) !== expected) {
          throw new Error(`members ${first} to ${first + expected - 1} of the export: ${String(users.getItem(i))} profiles found for ${expected} users`);
        }
        parts.push((column.getItem(i) as DuckDBBlobValue).bytes);
      }
    }
    if (parts.length !== Math.ceil((to - from) / part)) {
      throw new Error(`members ${from} to ${to - 1} of the export: ${parts.length} parts of profiles made for ${Math.ceil((to - from) / part)}`);
    }
    const perFile = perPiece / part;
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < parts.length; i += perFile) pieces.push(perFile === 1 ? parts[i] : Buffer.concat(parts.slice(i, i + perFile)));
    return pieces;
  }

  close(): void {
    this.statement.destroySync();
    this.conn.closeSync();
  }
}

/**
 * Kept profiles of an export's members: DuckDB writes each file's lines (the fields asked for,
 * joined from the kept parts) to a spool file with COPY, which streams in little memory, and the
 * file is handed over as it is, for the export to stream through its compression. Joining 5,000
 * lines into one value inside a query, as the reader above does, costs far more memory than DuckDB
 * accounts for.
 */
export class KeptProfileReader implements ExportProfiles {
  private constructor(
    private readonly conns: DuckDBConnection[],
    private readonly spool: string,
    private readonly select: string,
  ) {}

  /** Takes ownership of `conns` (each writes one file at a time: a file is too small for DuckDB
   * to spread over its threads, two side by side are not); spool files go to a folder made under
   * `spoolRoot`. */
  static async open(conns: DuckDBConnection[], jobId: string, options: ProfileOptions, spoolRoot: string): Promise<KeptProfileReader> {
    try {
      await mkdir(spoolRoot, { recursive: true });
      const spool = await mkdtemp(join(spoolRoot, 'export-'));
      const fields = options.fields.filter((f) => KEPT_FIELDS.includes(f));
      const select = `SELECT ${partsObject(fields)} AS line FROM (${exportMembersSql(jobId)}) m JOIN profile_parts p ON p.uid = m.uid
        WHERE m.rn >= $from AND m.rn < $to ORDER BY m.rn`;
      return new KeptProfileReader(conns, spool, select);
    } catch (error) {
      for (const conn of conns) conn.closeSync();
      throw error;
    }
  }

  private files = 0;

  async read(from: number, to: number, perPiece: number): Promise<ProfileText[]> {
    const ranges: Array<[number, number]> = [];
    for (let first = from; first < to; first += perPiece) ranges.push([first, Math.min(to, first + perPiece)]);
    const pieces = new Array<ProfileText>(ranges.length);
    let next = 0;
    await Promise.all(this.conns.map(async (conn) => {
      while (next < ranges.length) {
        const i = next++;
        pieces[i] = await this.piece(conn, ...ranges[i]);
      }
    }));
    return pieces;
  }

  private async piece(conn: DuckDBConnection, first: number, last: number): Promise<ProfileText> {
    const file = join(this.spool, `${this.files++}.ndjson`);
    const count = await copyLines(conn, this.select.replace('$from', String(first)).replace('$to', String(last)), file);
    if (count !== last - first) throw new Error(`members ${first} to ${last - 1} of the export: ${count} profiles found for ${last - first} users`);
    return { chunks: () => readAndRemove(file) };
  }

  close(): void {
    for (const conn of this.conns) conn.closeSync();
    rmSync(this.spool, { recursive: true, force: true }); // files not taken (a job cut short)
  }
}

/** A spool file's bytes, streamed (never whole in memory), then the file removed. */
async function* readAndRemove(file: string): AsyncGenerator<Uint8Array> {
  try {
    yield* createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>;
  } finally {
    await rm(file, { force: true });
  }
}

/** Lines closer than this (in one file) are read in one go, the bytes between them skipped. */
const SPAN_GAP = 16 * 1024;
/** A read stops growing at this size (a single longer line is read whole). */
const SPAN_MAX = 256 * 1024;
/** The lines of an export are handed over in chunks of about this many bytes (at least one line). */
const CHUNK = 1 << 20;

/**
 * The bytes of lines `first` to `last` (exclusive) of `files`/`positions`/`lengths`, read from the
 * profile files in `dir`, in chunks of about CHUNK bytes. A chunk's lines are read in file order
 * (each file's wanted lines sorted by position, neighbours read together) and put where they go in
 * member order, so that lines kept in several runs of braze_id order (one a refresh) are read in
 * few large reads whatever the order of the runs. A chunk whose lines follow each other in one
 * file is read in one go. A file shorter than its lines say, or a line that does not end where it
 * should, is an error. Two buffers are used over and over (a chunk is good until the next is asked
 * for): a 1M-user export would otherwise leave gigabytes of buffers for the garbage collector.
 */
async function* readLines(dir: string, files: number[], positions: number[], lengths: number[], first: number, last: number): AsyncGenerator<Uint8Array> {
  const lineFiles = new NumberedFiles(dir, profileFileName, 'profile line file');
  const lineEnd = (bytes: Buffer, at: number, file: number, pos: number) => {
    if (bytes[at] !== 0x0a) throw new Error(`profile line file ${profileFileName(file)} has no line ending at byte ${pos}`);
  };
  let chunk: Buffer | undefined;
  let read: Buffer | undefined;
  try {
    for (let from = first; from < last;) {
      // The chunk's lines, and whether they follow each other in one file.
      let to = from + 1;
      let size = lengths[from] + 1;
      let contiguous = true;
      while (to < last && size + lengths[to] + 1 <= CHUNK) {
        contiguous &&= files[to] === files[to - 1] && positions[to] === positions[to - 1] + lengths[to - 1] + 1;
        size += lengths[to] + 1;
        to++;
      }
      const bytes = size <= CHUNK ? (chunk ??= Buffer.allocUnsafe(CHUNK)).subarray(0, size) : Buffer.allocUnsafe(size);
      if (contiguous) {
        await lineFiles.read(files[from], bytes, 0, size, positions[from]);
        let at = -1;
        for (let i = from; i < to; i++) lineEnd(bytes, (at += lengths[i] + 1), files[i], positions[i] + lengths[i]);
      } else {
        // Where each line goes in the chunk; then the lines in file order, read span by span.
        const offsets = new Array<number>(to - from);
        for (let i = from, at = 0; i < to; i++) {
          offsets[i - from] = at;
          at += lengths[i] + 1;
        }
        const order = Array.from({ length: to - from }, (_, k) => from + k).sort((a, b) => files[a] - files[b] || positions[a] - positions[b]);
        for (let s = 0; s < order.length;) {
          const file = files[order[s]];
          const start = positions[order[s]];
          let end = start + lengths[order[s]] + 1;
          let e = s + 1;
          for (; e < order.length; e++) {
            const i = order[e];
            const next = positions[i] + lengths[i] + 1;
            if (files[i] !== file || positions[i] < end || positions[i] - end > SPAN_GAP || next - start > SPAN_MAX) break;
            end = next;
          }
          const span = end - start <= SPAN_MAX ? (read ??= Buffer.allocUnsafe(SPAN_MAX)) : Buffer.allocUnsafe(end - start);
          await lineFiles.read(file, span, 0, end - start, start);
          for (let k = s; k < e; k++) {
            const i = order[k];
            const at = positions[i] - start;
            lineEnd(span, at + lengths[i], file, positions[i] + lengths[i]);
            span.copy(bytes, offsets[i - from], at, at + lengths[i] + 1);
          }
          s = e;
        }
      }
      yield bytes;
      from = to;
    }
  } finally {
    await lineFiles.close();
  }
}

/** Files of a folder known by number (`nameOf`), each opened once and read at given positions. */
class NumberedFiles {
  private readonly handles = new Map<number, FileHandle>();

  constructor(
    private readonly dir: string,
    private readonly nameOf: (file: number) => string,
    /** What the files are, for errors: "profile line file". */
    private readonly label: string,
  ) {}

  /** Reads `size` bytes at `pos` of file `file` into `into` at `at`; a file that ends first is an error. */
  async read(file: number, into: Buffer, at: number, size: number, pos: number): Promise<void> {
    let h = this.handles.get(file);
    if (!h) this.handles.set(file, (h = await open(join(this.dir, this.nameOf(file)), 'r')));
    for (let got = 0; got < size;) {
      const { bytesRead } = await h.read(into, at + got, size - got, pos + got);
      if (bytesRead === 0) throw new Error(`${this.label} ${this.nameOf(file)} ends before byte ${pos + size}`);
      got += bytesRead;
    }
  }

  async close(): Promise<void> {
    for (const h of this.handles.values()) await h.close();
  }
}

/**
 * The text of lines `first` to `last` as parts: wherever the lines of a run of members are exactly
 * the bytes of a kept block (the same line file, one after the other, from the block's first byte
 * to its last), the block's deflate fragment, read from its block file (one read and one part for
 * consecutive blocks); the lines between, as text
 * (readLines). `counts` adds up the members taken each way.
 */
async function* lineParts(
  dir: string, blockDir: string, blocks: Map<number, Map<number, Block>>,
  files: number[], positions: number[], lengths: number[], first: number, last: number, counts: BlockCounts,
): AsyncGenerator<ProfilePart> {
  const blockFiles = new NumberedFiles(blockDir, blockFileName, 'profile block file');
  try {
    let text = first; // the first member not yet given
    for (let i = first; i < last;) {
      const block = blocks.get(files[i])?.get(positions[i]);
      let end = block ? i + block.lines : 0;
      if (!block || end > last || !tiles(block, files, positions, lengths, i, end)) {
        i++;
        continue;
      }
      // The blocks that follow in the same file, tiled by the members that follow: one fragment
      // (theirs are one after the other in the block file), read at once.
      let { crc, len: length, zLen } = block;
      for (let next = blocks.get(files[i])?.get(positions[end]); next && end + next.lines <= last && next.zPos === block.zPos + zLen
        && files[end] === files[i] && tiles(next, files, positions, lengths, end, end + next.lines); next = blocks.get(files[i])?.get(positions[end])) {
        crc = crc32Combine(crc, next.crc, next.len);
        length += next.len;
        zLen += next.zLen;
        end += next.lines;
      }
      if (text < i) {
        counts.fresh += i - text;
        for await (const chunk of readLines(dir, files, positions, lengths, text, i)) yield { text: chunk };
      }
      const deflate = Buffer.allocUnsafe(zLen);
      await blockFiles.read(files[i], deflate, 0, zLen, block.zPos);
      counts.kept += end - i;
      yield { deflate, crc, length };
      i = text = end;
    }
    if (text < last) {
      counts.fresh += last - text;
      for await (const chunk of readLines(dir, files, positions, lengths, text, last)) yield { text: chunk };
    }
  } finally {
    await blockFiles.close();
  }
}

/** Whether members `from` to `to` (exclusive) have exactly the lines of `block`, in its order. */
function tiles(block: Block, files: number[], positions: number[], lengths: number[], from: number, to: number): boolean {
  for (let k = from + 1; k < to; k++) {
    if (files[k] !== files[from] || positions[k] !== positions[k - 1] + lengths[k - 1] + 1) return false;
  }
  return positions[to - 1] + lengths[to - 1] + 1 - positions[from] === block.len;
}

/** Members whose lines an export copied compressed from kept blocks, and members compressed afresh. */
export interface BlockCounts {
  kept: number;
  fresh: number;
}

/**
 * An export of every field reads kept profiles from their line files: DuckDB gives, per batch of
 * members, where each member's line is (a few numbers a member), and the lines are streamed from
 * the files, neighbours read together; runs of lines kept compressed in blocks are handed over as
 * their deflate fragments. Nothing of the profile text passes through DuckDB.
 */
export class LineProfileReader implements ExportProfiles {
  /** Members taken from kept blocks and members given as text, over the reader's life. */
  readonly counts: BlockCounts = { kept: 0, fresh: 0 };

  /** Takes ownership of `conn`; `closed` is called once, on close. */
  constructor(
    private readonly conn: DuckDBConnection,
    private readonly dir: string,
    private readonly jobId: string,
    private readonly closed: (counts: BlockCounts) => void,
    private readonly blockDir: string,
    private readonly blocks: Map<number, Map<number, Block>>,
  ) {}

  async read(from: number, to: number, perPiece: number): Promise<ProfileText[]> {
    const result = await this.conn.runAndReadAll(
      `SELECT l.file, l.pos::DOUBLE AS pos, l.len FROM (${exportMembersSql(this.jobId)}) m JOIN profile_lines l ON l.uid = m.uid
       WHERE m.rn >= ${from} AND m.rn < ${to} ORDER BY m.rn`,
    );
    // No row, no column: an export without members reads nothing.
    const [files = [], positions = [], lengths = []] = result.getColumns() as [number[]?, number[]?, number[]?];
    if (files.length !== to - from) throw new Error(`members ${from} to ${to - 1} of the export: ${files.length} profile lines found for ${to - from} users`);
    const pieces: ProfileText[] = [];
    for (let first = 0; first < files.length; first += perPiece) {
      const last = Math.min(files.length, first + perPiece);
      pieces.push({
        chunks: () => readLines(this.dir, files, positions, lengths, first, last),
        parts: () => lineParts(this.dir, this.blockDir, this.blocks, files, positions, lengths, first, last, this.counts),
      });
    }
    return pieces;
  }

  close(): void {
    this.conn.closeSync();
    this.closed(this.counts);
  }
}

/** Writes the one-column rows of `query` to `path`, one line each, as they are; answers how many.
 * With no quote character DuckDB's CSV writer neither quotes nor escapes (and does not look for
 * what it would quote), and JSON text holds no raw line break. */
export async function copyLines(conn: DuckDBConnection, query: string, path: string): Promise<number> {
  const written = await conn.runAndReadAll(`COPY (${query}) TO ${literal(path)} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '')`);
  return Number(written.getRows()[0]?.[0] ?? 0);
}

/** braze_ids of the users named by each value (a device id is an identity of each user whose
 * records named it), oldest user first. */
export async function findUsers(conn: DuckDBConnection, kind: UserIdKind, values: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (values.length === 0) return out;
  // Every braze_id a user is known by is an identity (the one it was made with, and any a Currents
  // record linked to it through its external id).
  const found = (await identitiesByValue<{ kind: string; value: string; uid: number }>(conn, values, 'DISTINCT kind, value, uid', 'ORDER BY uid'))
    .filter((r) => r.kind === kind);
  const uids = [...new Set(found.map((r) => r.uid))];
  const brazeIds = new Map(uids.length === 0 ? [] : (await rows<{ uid: number; braze_id: string }>(conn, `SELECT uid, braze_id FROM users WHERE uid IN (${uids.join(', ')})`)).map((r) => [r.uid, r.braze_id]));
  for (const r of found) {
    const list = out.get(r.value) ?? [];
    list.push(brazeIds.get(r.uid)!);
    out.set(r.value, list);
  }
  return out;
}
