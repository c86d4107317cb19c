/** The ClickHouse engine's foundations: URLs, the connection, the one escaping function, migrations. */
export { ClickHouseConnection, connectClickHouse, type ClickHouseNode, type ConnectOptions, type StatementOptions } from './client.ts';
export { ClickHouseStoreError, type ClickHouseErrorKind } from './errors.ts';
export { day, identifier, join, literal, raw, sql, Sql, SqlDay, type SqlValue } from './sql.ts';
export { parseClickHouseUrl, redact, type ClickHouseTarget } from './url.ts';
export type { Capabilities, ServerVersion, SettingsProfile } from './settings.ts';
export { checkIdempotent, migrate, schemaVersions, type AddColumn, type IdempotentStatement, type Migration, type MigrationReport, type MigrationStep } from './migrations.ts';
export { addDays, eventsWriteTable, KINDS, LAYOUT_MIGRATIONS, readSeries, refreshRollups, type EventRow, type Kind, type Metric, type SeriesQuery, type Unit } from './layout.ts';
