import { callbackRefusal } from '../export/callback-guard.ts';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  adminExports, exportSegmentCancel, USER_EXPORT_FIELDS, usersExportGlobalControlGroup, usersExportIds, usersExportSegment,
} from '@brazen/contract';
import type { SegmentFilter } from '@brazen/analytics';
import { DEFAULT_WORKSPACE, type ExportJob, type UserIdKind } from '@brazen/store';
import type { ApiContext } from '../context.ts';
import { ApiError, badRequest } from '../errors.ts';
import { exportFileName } from '../export/files.ts';
import type { ExportRunner } from '../export/runner.ts';
import { checkSignedUrl, URL_TTL_SECONDS } from '../export/signing.ts';
import { findSegment, globalControlGroup } from '../segment-definitions.ts';
import { route } from './route.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The background runner of the default workspace's user exports (tests wait on it). */
    readonly exportRunner: ExportRunner;
  }
}

/** Identifier parameters of /users/export/ids and the identity kind each looks up. */
const IDENTIFIERS = [
  ['external_ids', 'external_id'], ['user_aliases', 'alias'], ['device_id', 'device_id'],
  ['email_address', 'email'], ['braze_id', 'braze_id'], ['phone', 'phone'],
] as const;

function checkFields(fields: string[] | undefined): string[] {
  if (fields === undefined) return [...USER_EXPORT_FIELDS];
  const unknown = fields.filter((f) => !(USER_EXPORT_FIELDS as readonly string[]).includes(f));
  if (unknown.length > 0) {
    throw badRequest(`fields_to_export has unknown field ${unknown.map((f) => JSON.stringify(f)).join(', ')} (known: ${USER_EXPORT_FIELDS.join(', ')})`);
  }
  return [...new Set(fields)];
}

const baseUrl = (request: FastifyRequest) => `${request.protocol}://${request.host}`;
const isoTime = (t: number | undefined) => (t === undefined ? undefined : new Date(t * 1000).toISOString());

/** /users/export/ids, /users/export/segment, /users/export/global_control_group,
 * /export/segment/cancel, the signed download of a finished export, and /admin/exports. */
export function usersExportRoutes(app: FastifyInstance, limits: { maxExportIds: number }): void {
  route(app, usersExportIds, async ({ body, ctx }) => {
    const fields = checkFields(body.fields_to_export);
    const given = IDENTIFIERS.filter(([param]) => body[param] !== undefined);
    if (given.length === 0) throw badRequest(`one of ${IDENTIFIERS.map(([p]) => p).join(', ')} is required`);
    if (given.length > 1) throw badRequest(`${given.map(([p]) => p).join(' and ')} cannot be combined: give one kind of identifier per request`);
    const [param, kind] = given[0];
    let values: string[];
    if (param === 'external_ids') values = body.external_ids!;
    else if (param === 'user_aliases') values = body.user_aliases!.map((a) => `${a.alias_name}\u001f${a.alias_label}`);
    else values = [body[param]!];
    if (values.length === 0) throw badRequest(`${param} must name at least one user`);
    if (values.length > limits.maxExportIds) throw badRequest(`${param} must be an array of at most ${limits.maxExportIds} items`);
    const found = await ctx.data.findUsers(kind as UserIdKind, values);
    const users = [...new Set(values.flatMap((v) => found.get(v) ?? []))];
    const invalid = values.filter((v) => !found.has(v)).map((v) => v.replace('\u001f', ':'));
    const lines = await ctx.data.userProfiles(users, { fields });
    return {
      message: 'success',
      users: lines.map((line) => JSON.parse(line) as Record<string, unknown>),
      ...(invalid.length > 0 ? { invalid_user_ids: invalid } : {}),
    };
  });

  const start = async (
    ctx: ApiContext,
    request: FastifyRequest,
    target: { kind: ExportJob['kind']; segmentId: string; filter: SegmentFilter | undefined },
    body: { callback_endpoint?: string; fields_to_export?: string[]; output_format?: 'zip' | 'gzip'; custom_attributes_to_export?: string[] },
  ) => {
    const fields = checkFields(body.fields_to_export);
    const refusal = body.callback_endpoint === undefined ? undefined : await callbackRefusal(body.callback_endpoint, ctx.exports.allowsPrivateCallbacks);
    if (refusal) {
      throw badRequest(refusal);
    }
    const ws = await ctx.getWorkspace();
    const s3 = ws.s3 as { bucket?: string } | undefined;
    const now = ctx.now() / 1000;
    const id = randomUUID();
    const job: ExportJob = {
      id,
      objectPrefix: `${id}-${Math.floor(now)}`,
      kind: target.kind,
      segmentId: target.segmentId,
      ...(target.filter ? { filter: target.filter } : {}),
      fields: body.custom_attributes_to_export && !fields.includes('custom_attributes') ? [...fields, 'custom_attributes'] : fields,
      ...(body.custom_attributes_to_export ? { customAttributes: body.custom_attributes_to_export } : {}),
      outputFormat: body.output_format ?? 'zip',
      destination: s3?.bucket ? 's3' : 'local',
      ...(body.callback_endpoint ? { callbackEndpoint: body.callback_endpoint } : {}),
      baseUrl: baseUrl(request),
      status: 'pending',
      createdAt: now,
      filesDone: 0,
      callback: 'none',
      callbackAttempts: 0,
    };
    // Checking for an export in progress and recording the new one happen one request at a time.
    await ctx.exports.oneAtATime(async () => {
      const busy = (await ctx.catalog.exportJobs()).some((j) => j.segmentId === target.segmentId && (j.status === 'pending' || j.status === 'running'));
      if (busy) {
        throw new ApiError(429, `segment_id ${target.segmentId} already has an export in progress: wait for it to finish (or cancel it) before starting another`);
      }
      await ctx.catalog.createExportJob(job);
    });
    ctx.exports.enqueue(id);
    const url = job.destination === 'local' ? ctx.exports.downloadUrl(job, await ctx.exports.urlSecret(), Math.floor(now) + URL_TTL_SECONDS) : undefined;
    return { message: 'success', object_prefix: job.objectPrefix, ...(url ? { url } : {}) };
  };

  route(app, usersExportSegment, async ({ body, request, ctx }) => {
    const segment = findSegment(await ctx.getWorkspace(), body.segment_id);
    return start(ctx, request, { kind: 'segment', segmentId: segment.id, filter: segment.filter }, body);
  });

  route(app, usersExportGlobalControlGroup, async ({ body, request, ctx }) => {
    const gcg = globalControlGroup(await ctx.getWorkspace());
    return start(ctx, request, { kind: 'global_control_group', segmentId: gcg.id, filter: gcg.filter }, body);
  });

  route(app, exportSegmentCancel, async ({ body, ctx }) => {
    const ws = await ctx.getWorkspace();
    const gcgId = (ws.global_control_group as { id?: string } | undefined)?.id ?? 'global_control_group';
    if (body.segment_id !== gcgId) findSegment(ws, body.segment_id);
    const ongoing = (await ctx.catalog.exportJobs()).filter((j) => j.segmentId === body.segment_id && (j.status === 'pending' || j.status === 'running'));
    if (ongoing.length === 0) throw new ApiError(404, `segment_id ${body.segment_id} has no export in progress`);
    for (const job of ongoing) await ctx.catalog.updateExportJob(job.id, { status: 'cancelled', finishedAt: ctx.now() / 1000 });
    return { message: 'success' };
  });

  route(app, adminExports, async ({ ctx }) => ({
    message: 'success',
    exports: (await ctx.catalog.exportJobs()).reverse().map((j) => ({
      id: j.id,
      object_prefix: j.objectPrefix,
      kind: j.kind,
      segment_id: j.segmentId,
      status: j.status,
      output_format: j.outputFormat,
      destination: j.destination,
      created_at: isoTime(j.createdAt)!,
      ...(j.finishedAt !== undefined ? { finished_at: isoTime(j.finishedAt) } : {}),
      ...(j.users !== undefined ? { users: j.users } : {}),
      ...(j.files !== undefined ? { files: j.files } : {}),
      files_done: j.filesDone,
      callback: j.callback,
      callback_attempts: j.callbackAttempts,
      ...(j.error !== undefined ? { error: j.error } : {}),
    })),
  }));

  // The signed URL of an export kept by the server: one zip of all its files, once it is done.
  // No key: the signature is the credential, with the secret of the workspace the URL names.
  app.get<{ Params: { job: string; file: string }; Querystring: { expires?: string; signature?: string; workspace?: string } }>(
    '/users/export/download/:job/:file',
    { schema: { hide: true } },
    async (request, reply) => request.server.workspaces.use(request.query.workspace ?? DEFAULT_WORKSPACE, async (ctx) => {
      const { job: id } = request.params;
      const check = checkSignedUrl(await ctx.exports.urlSecret(), id, request.query.expires, request.query.signature, ctx.now() / 1000);
      if (check === 'forged') throw new ApiError(403, 'signature does not match this download URL');
      if (check === 'expired') throw new ApiError(403, 'this download URL has expired: export the segment again');
      const job = (await ctx.catalog.exportJobs()).find((j) => j.id === id);
      if (!job || job.destination !== 'local' || job.status === 'cancelled' || job.status === 'failed') {
        throw new ApiError(404, `no export ${id} to download`);
      }
      if (job.status !== 'done') throw new ApiError(404, `export ${job.objectPrefix} is not ready yet (${job.filesDone} of ${job.files ?? '?'} files written)`);
      const folder = ctx.exports.folder(id);
      const { ZipFile } = await import('yazl');
      const zip = new ZipFile();
      for (let i = 0; i < (job.files ?? 0); i++) {
        const name = exportFileName(job.objectPrefix, i, job.outputFormat);
        if (!existsSync(join(folder, name))) throw new ApiError(410, `export ${job.objectPrefix} is no longer kept`);
        zip.addFile(join(folder, name), `${job.objectPrefix}/${name}`, { compress: false, mtime: new Date(job.createdAt * 1000) });
      }
      zip.end();
      return reply.type('application/zip').header('content-disposition', `attachment; filename="${job.objectPrefix}.zip"`).send(zip.outputStream);
    }),
  );
}
