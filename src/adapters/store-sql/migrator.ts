/**
 * Versioned, checksummed migrations for both SQL dialects.
 *
 * Each pending migration is applied in its own transaction that holds the migration lock and
 * re-reads the history first, so two processes migrating at once never apply a script twice:
 * the second one waits, then sees the row the first one committed.
 */
import { createHash } from 'node:crypto';
import { KaleidoError } from '../../core/errors.js';
import { MIGRATION_ID, type Migration } from './migrations.js';
import type { SqlClient, SqlDialect, SqlExecutor } from './sql-client.js';

export const MIGRATION_LOCK = 'kaleido.schema_migrations';

const CREATE_HISTORY: Record<SqlDialect, string> = {
  sqlite: `CREATE TABLE IF NOT EXISTS schema_migrations (
  id TEXT PRIMARY KEY,
  checksum TEXT NOT NULL,
  applied_at INTEGER NOT NULL
) STRICT;`,
  postgres: `CREATE TABLE IF NOT EXISTS schema_migrations (
  id TEXT COLLATE "C" PRIMARY KEY,
  checksum TEXT NOT NULL,
  applied_at BIGINT NOT NULL
);`,
};

/** Hex sha256 of the script a dialect runs; what `schema_migrations.checksum` records. */
export function migrationChecksum(migration: Migration, dialect: SqlDialect): string {
  return createHash('sha256').update(migration.sql[dialect], 'utf8').digest('hex');
}

/** Rejects malformed, duplicate or unordered migration lists (a programming error). */
export function validateMigrations(migrations: readonly Migration[]): void {
  let previous = '';
  for (const m of migrations) {
    if (!MIGRATION_ID.test(m.id)) {
      throw new KaleidoError('ERR_BAD_CONFIG', `migration id "${m.id}" must look like 0001_snake_case`, {
        details: { field: 'migrations', id: m.id },
      });
    }
    if (m.id <= previous) {
      throw new KaleidoError('ERR_BAD_CONFIG', `migration "${m.id}" is duplicated or out of order`, {
        details: { field: 'migrations', id: m.id, previous },
      });
    }
    previous = m.id;
  }
}

async function appliedChecksums(tx: SqlExecutor): Promise<Map<string, string>> {
  const rows = await tx.query<{ id: string; checksum: string }>(
    'SELECT id, checksum FROM schema_migrations ORDER BY id',
  );
  return new Map(rows.map((r) => [r.id, r.checksum]));
}

function verify(applied: Map<string, string>, migrations: readonly Migration[], dialect: SqlDialect): void {
  for (const m of migrations) {
    const recorded = applied.get(m.id);
    const expected = migrationChecksum(m, dialect);
    if (recorded !== undefined && recorded !== expected) {
      throw new KaleidoError(
        'ERR_SCHEMA_MISMATCH',
        `migration ${m.id} was applied with a different script (checksum ${recorded.slice(0, 12)}…, ` +
          `this build has ${expected.slice(0, 12)}…); add a new migration instead of editing an applied one`,
        { details: { migration: m.id, recorded, expected, dialect } },
      );
    }
  }
}

/**
 * Applies the pending `migrations` in order and returns the ids it applied. Migrations recorded
 * in the database but unknown to this build (a newer build ran) are left alone, so an older
 * replica can still start during a rolling upgrade; migrations must therefore stay additive.
 */
export async function runMigrations(
  client: SqlClient,
  migrations: readonly Migration[],
  now: () => number,
): Promise<{ applied: string[] }> {
  validateMigrations(migrations);
  const dialect = client.dialect;
  // Verify the whole history before changing anything, so a mismatch applies nothing.
  const known = await client.transaction(MIGRATION_LOCK, async (tx) => {
    await tx.script(CREATE_HISTORY[dialect]);
    const applied = await appliedChecksums(tx);
    verify(applied, migrations, dialect);
    return applied;
  });
  const applied: string[] = [];
  for (const m of migrations) {
    if (known.has(m.id)) continue;
    // A table rebuild on SQLite needs foreign keys off, which only takes effect outside a
    // transaction (and only on this connection); they are checked before the commit instead.
    const foreignKeysOff = dialect === 'sqlite' && m.sqliteForeignKeysOff === true;
    if (foreignKeysOff) await client.script('PRAGMA foreign_keys = OFF');
    let didApply: boolean;
    try {
      didApply = await client.transaction(MIGRATION_LOCK, async (tx) => {
        // Another process may have applied it while we waited for the lock.
        const current = await appliedChecksums(tx);
        if (current.has(m.id)) {
          verify(current, [m], dialect);
          return false;
        }
        await tx.script(m.sql[dialect]);
        if (foreignKeysOff) {
          const broken = await tx.query('PRAGMA foreign_key_check');
          if (broken.length > 0) {
            throw new KaleidoError('ERR_SCHEMA_MISMATCH', `migration ${m.id} leaves broken foreign keys`, {
              details: { migration: m.id, rows: broken.slice(0, 10) },
            });
          }
        }
        await tx.query('INSERT INTO schema_migrations (id, checksum, applied_at) VALUES (?, ?, ?)', [
          m.id,
          migrationChecksum(m, dialect),
          now(),
        ]);
        return true;
      });
    } finally {
      if (foreignKeysOff) await client.script('PRAGMA foreign_keys = ON');
    }
    if (didApply) applied.push(m.id);
  }
  return { applied };
}
