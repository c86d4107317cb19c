import { Type } from 'typebox';
import { defineEndpoint } from './endpoint.ts';
import { ApiKeyParam, Message } from './common.ts';

/**
 * Several workspaces in one server, and a workspace brought back to a known state between tests
 * (SPEC §5, §10). brazen's own: not among `endpoints` (the client's copy of Braze's API), since a
 * snapshot is named in the path.
 */

/** brazen's own bodies name every field they take: a misspelt one (`definition`) is an error, not
 * ignored. */
const closed = { additionalProperties: false } as const;
const TimeZone = Type.String({ description: 'IANA time zone of the workspace (default UTC)' });
const Took = Type.Number({ description: 'Milliseconds the store took' });

// ---- /admin/workspaces ---------------------------------------------------------------------------

export const adminCreateWorkspace = defineEndpoint({
  method: 'POST',
  path: '/admin/workspaces',
  permission: 'admin',
  summary: 'Create a workspace and its first API key (an admin key of the default workspace only)',
  tag: 'Workspaces',
  body: Type.Object({
    api_key: ApiKeyParam,
    name: Type.String({ description: 'a-z, 0-9, _ and -, 1 to 63 characters, starting with a letter or digit' }),
    time_zone: Type.Optional(TimeZone),
    key_name: Type.Optional(Type.String({ minLength: 1, description: 'Name of the first key (default admin)' })),
    permissions: Type.Optional(Type.Array(Type.String(), { description: 'Permissions of the first key (default: every permission)' })),
  }, closed),
  response: Type.Object({
    message: Message,
    name: Type.String(),
    time_zone: TimeZone,
    key: Type.Object({
      name: Type.String(),
      key: Type.String({ description: 'The key; shown once, stored hashed' }),
      permissions: Type.Array(Type.String()),
    }),
  }),
  status: 201,
});

export const adminListWorkspaces = defineEndpoint({
  method: 'GET',
  path: '/admin/workspaces',
  permission: 'admin',
  summary: 'List the workspaces of this server (an admin key of the default workspace only)',
  tag: 'Workspaces',
  querystring: Type.Object({ api_key: ApiKeyParam }),
  response: Type.Object({
    message: Message,
    workspaces: Type.Array(Type.Object({
      name: Type.String(),
      time_zone: TimeZone,
      created_at: Type.Optional(Type.String({ description: 'ISO 8601; absent for default, as old as the data folder' })),
      api_keys: Type.Integer({ description: 'Keys that belong to it' }),
    })),
  }),
});

// ---- reset and snapshots of the caller's workspace -------------------------------------------------

export const adminReset = defineEndpoint({
  method: 'POST',
  path: '/admin/reset',
  permission: 'admin',
  summary: "Empty the caller's workspace: records, users, export jobs; definitions and keys only when asked",
  tag: 'Workspaces',
  body: Type.Object({
    api_key: ApiKeyParam,
    definitions: Type.Optional(Type.Boolean({ description: 'Also empty the workspace document (its time zone stays); default false' })),
    keys: Type.Optional(Type.Boolean({ description: "Also remove the workspace's other API keys (the calling key stays); default false" })),
  }, closed),
  response: Type.Object({
    message: Message,
    records_removed: Type.Integer({ description: 'Records the workspace held' }),
    keys_removed: Type.Integer(),
    definitions_removed: Type.Boolean(),
    took_ms: Took,
  }),
});

export const Snapshot = Type.Object({
  name: Type.String(),
  created_at: Type.String({ description: 'ISO 8601' }),
  records: Type.Integer({ description: 'Records the workspace held when saved' }),
  bytes: Type.Integer({ description: 'Room the snapshot takes on disk' }),
});

const SnapshotName = Type.Object({ name: Type.String({ description: 'Name of the snapshot' }) });

export const adminCreateSnapshot = defineEndpoint({
  method: 'POST',
  path: '/admin/snapshots',
  permission: 'admin',
  summary: "Save the caller's workspace (records, users, definitions, export jobs) under a name, replacing a snapshot of that name",
  tag: 'Workspaces',
  body: Type.Object({
    api_key: ApiKeyParam,
    name: Type.String({ description: 'A-Z, a-z, 0-9, ., _ and -, 1 to 64 characters, starting with a letter or digit' }),
  }, closed),
  response: Type.Object({ message: Message, snapshot: Snapshot, replaced: Type.Boolean(), took_ms: Took }),
  status: 201,
});

export const adminListSnapshots = defineEndpoint({
  method: 'GET',
  path: '/admin/snapshots',
  permission: 'admin',
  summary: "The snapshots of the caller's workspace, by name",
  tag: 'Workspaces',
  querystring: Type.Object({ api_key: ApiKeyParam }),
  response: Type.Object({ message: Message, snapshots: Type.Array(Snapshot) }),
});

export const adminRestoreSnapshot = defineEndpoint({
  method: 'POST',
  path: '/admin/snapshots/:name/restore',
  permission: 'admin',
  summary: "Bring the caller's workspace back as it was saved (its API keys stay as they are)",
  tag: 'Workspaces',
  params: SnapshotName,
  querystring: Type.Object({ api_key: ApiKeyParam }),
  response: Type.Object({ message: Message, snapshot: Snapshot, took_ms: Took }),
});

export const adminDeleteSnapshot = defineEndpoint({
  method: 'DELETE',
  path: '/admin/snapshots/:name',
  permission: 'admin',
  summary: "Delete a snapshot of the caller's workspace",
  tag: 'Workspaces',
  params: SnapshotName,
  querystring: Type.Object({ api_key: ApiKeyParam }),
  response: Type.Object({ message: Message }),
});

export const workspaceEndpoints = {
  adminCreateWorkspace, adminListWorkspaces, adminReset, adminCreateSnapshot, adminListSnapshots, adminRestoreSnapshot, adminDeleteSnapshot,
} as const;
