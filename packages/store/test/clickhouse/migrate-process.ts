/** One brazen-like process that connects and migrates (the two-processes test starts two at once). */
import { connectClickHouse } from '../../src/clickhouse/client.ts';
import { migrate } from '../../src/clickhouse/migrations.ts';
import { TEST_MIGRATIONS } from './migration-list.ts';

const db = await connectClickHouse(process.argv[2]);
const report = await migrate(db, TEST_MIGRATIONS, `process-${process.argv[3]}`);
await db.close();
process.stdout.write(JSON.stringify(report));
