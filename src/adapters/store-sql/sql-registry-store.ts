/**
 * The RegistryStore shared by the SQLite and PostgreSQL adapters (same query text on both).
 *
 * Every write to one registered model runs in a transaction holding that model's lock, so version
 * numbering, alias moves and their history serialise per model: the history's id order is the
 * commit order, and the alias table always equals the last move recorded for it.
 *
 * Every row carries its tenant (`tenant_id` is the first column of every key), and every query of
 * this view names the view's tenant, so another tenant's model, version, alias or history is
 * never read, changed or even detected.
 */
import { KaleidoError } from '../../core/errors.js';
import {
  ModelVersionStatus,
  type AliasHistoryQuery,
  type AliasMove,
  type AliasRef,
  type ModelSignature,
  type ModelVersion,
  type ModelVersionSearch,
  type ModelVersionUpdate,
  type NewModelVersion,
  type NewRegisteredModel,
  type RegisteredModel,
  type RegisteredModelSearch,
  type RegistryStore,
} from '../../core/ports/registry-store.js';
import type { Page, Tag } from '../../core/ports/tracking-store.js';
import { SYSTEM_TENANT } from '../../core/security/principal.js';
import type { SqlClient, SqlExecutor, SqlValue } from './sql-client.js';
import { orderClause, placeholders, whereClause, type SearchSchema } from './sql-search.js';

const modelLock = (tenantId: string, name: string): string => `kaleido.registry.model:${tenantId}/${name}`;

interface ModelRow {
  name: string;
  description: string;
  creation_time: number | string;
  last_updated_time: number | string;
  [column: string]: unknown;
}

interface VersionRow {
  name: string;
  version: number | string;
  creation_time: number | string;
  last_updated_time: number | string;
  description: string;
  user_id: string;
  source: string;
  run_id: string | null;
  run_link: string | null;
  status: string;
  status_message: string;
  signature: string | null;
  metrics: string;
  sha256: string | null;
  model_card: string | null;
  [column: string]: unknown;
}

interface HistoryRow {
  id: number | string;
  name: string;
  alias: string;
  from_version: number | string | null;
  to_version: number | string | null;
  actor: string;
  at: number | string;
  [column: string]: unknown;
}

const MODEL_COLUMNS = 'm.name, m.description, m.creation_time, m.last_updated_time';
const VERSION_COLUMNS =
  'v.name, v.version, v.creation_time, v.last_updated_time, v.description, v.user_id, v.source, v.run_id, ' +
  'v.run_link, v.status, v.status_message, v.signature, v.metrics, v.sha256, v.model_card';
const HISTORY_COLUMNS = 'id, name, alias, from_version, to_version, actor, at';

const MODEL_SEARCH: SearchSchema = {
  attributes: {
    name: { sql: 'm.name', type: 'text' },
    creation_timestamp: { sql: 'm.creation_time', type: 'number' },
    last_updated_timestamp: { sql: 'm.last_updated_time', type: 'number' },
  },
  sides: {
    tag: {
      table: 'registered_model_tags',
      join: 's.tenant_id = m.tenant_id AND s.name = m.name',
      type: 'text',
    },
  },
};

const VERSION_SEARCH: SearchSchema = {
  attributes: {
    name: { sql: 'v.name', type: 'text' },
    version: { sql: 'v.version', type: 'number' },
    run_id: { sql: 'v.run_id', type: 'text' },
    source: { sql: 'v.source', type: 'text' },
    status: { sql: 'v.status', type: 'text' },
    creation_timestamp: { sql: 'v.creation_time', type: 'number' },
    last_updated_timestamp: { sql: 'v.last_updated_time', type: 'number' },
  },
  sides: {
    tag: {
      table: 'model_version_tags',
      join: 's.tenant_id = v.tenant_id AND s.name = v.name AND s.version = v.version',
      type: 'text',
    },
  },
};

const num = (v: number | string): number => Number(v);
const optionalString = (v: number | string | null): string | undefined =>
  v === null ? undefined : String(v);

/** Version numbers are decimal strings on the port and integers in the table. */
function versionKey(version: string): number | undefined {
  return /^[1-9][0-9]{0,14}$/.test(version) ? Number(version) : undefined;
}

function notFound(name: string, version?: string): KaleidoError {
  return version === undefined
    ? new KaleidoError('ERR_NOT_FOUND', `registered model "${name}" does not exist`, {
        details: { resource: 'registered-model', name },
      })
    : new KaleidoError('ERR_NOT_FOUND', `version ${version} of registered model "${name}" does not exist`, {
        details: { resource: 'model-version', name, version },
      });
}

const byKey = (a: Tag, b: Tag): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

const toMove = (r: HistoryRow): AliasMove => {
  const from = optionalString(r.from_version);
  const to = optionalString(r.to_version);
  return {
    id: num(r.id),
    name: r.name,
    alias: r.alias,
    ...(from === undefined ? {} : { fromVersion: from }),
    ...(to === undefined ? {} : { toVersion: to }),
    actor: r.actor,
    at: num(r.at),
  };
};

export class SqlRegistryStore implements RegistryStore {
  constructor(
    private readonly client: () => SqlClient,
    readonly tenantId: string = SYSTEM_TENANT,
  ) {}

  forTenant(tenantId: string): SqlRegistryStore {
    return tenantId === this.tenantId ? this : new SqlRegistryStore(this.client, tenantId);
  }

  private get db(): SqlClient {
    return this.client();
  }

  // ---- registered models --------------------------------------------------------------------

  private async modelRow(db: SqlExecutor, name: string): Promise<ModelRow | undefined> {
    return (
      await db.query<ModelRow>(
        `SELECT ${MODEL_COLUMNS} FROM registered_models m WHERE m.tenant_id = ? AND m.name = ?`,
        [this.tenantId, name],
      )
    )[0];
  }

  private async requireModel(db: SqlExecutor, name: string): Promise<ModelRow> {
    const row = await this.modelRow(db, name);
    if (row === undefined) throw notFound(name);
    return row;
  }

  private async hydrateModels(rows: ModelRow[], db: SqlExecutor = this.db): Promise<RegisteredModel[]> {
    if (rows.length === 0) return [];
    const names = rows.map((r) => r.name);
    const inList = placeholders(names.length);
    const tags = new Map<string, Tag[]>();
    for (const t of await db.query<{ name: string; key: string; value: string }>(
      `SELECT name, key, value FROM registered_model_tags WHERE tenant_id = ? AND name IN (${inList})`,
      [this.tenantId, ...names],
    )) {
      const list = tags.get(t.name) ?? [];
      list.push({ key: t.key, value: t.value });
      tags.set(t.name, list);
    }
    const aliases = new Map<string, AliasRef[]>();
    for (const a of await db.query<{ name: string; alias: string; version: number | string }>(
      `SELECT name, alias, version FROM registered_model_aliases WHERE tenant_id = ? AND name IN (${inList})`,
      [this.tenantId, ...names],
    )) {
      const list = aliases.get(a.name) ?? [];
      list.push({ alias: a.alias, version: String(a.version) });
      aliases.set(a.name, list);
    }
    const latest = new Map<string, string>();
    for (const l of await db.query<{ name: string; v: number | string }>(
      `SELECT name, MAX(version) AS v FROM registered_model_versions WHERE tenant_id = ? AND name IN (${inList}) GROUP BY name`,
      [this.tenantId, ...names],
    )) {
      latest.set(l.name, String(l.v));
    }
    return rows.map((r) => {
      const latestVersion = latest.get(r.name);
      return {
        name: r.name,
        description: r.description,
        creationTime: num(r.creation_time),
        lastUpdatedTime: num(r.last_updated_time),
        tags: (tags.get(r.name) ?? []).sort(byKey),
        aliases: (aliases.get(r.name) ?? []).sort((a, b) =>
          a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0,
        ),
        ...(latestVersion === undefined ? {} : { latestVersion }),
      };
    });
  }

  async createRegisteredModel(m: NewRegisteredModel): Promise<RegisteredModel> {
    return this.db.transaction(modelLock(this.tenantId, m.name), async (tx) => {
      if ((await this.modelRow(tx, m.name)) !== undefined) {
        throw new KaleidoError('ERR_ALREADY_EXISTS', `registered model "${m.name}" already exists`, {
          details: { resource: 'registered-model', name: m.name },
        });
      }
      await tx.query(
        'INSERT INTO registered_models (tenant_id, name, description, creation_time, last_updated_time) VALUES (?, ?, ?, ?, ?)',
        [this.tenantId, m.name, m.description, m.time, m.time],
      );
      for (const t of m.tags) await this.writeModelTag(tx, m.name, t);
      return (await this.hydrateModels([await this.requireModel(tx, m.name)], tx))[0] as RegisteredModel;
    });
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel | undefined> {
    const row = await this.modelRow(this.db, name);
    return row === undefined ? undefined : (await this.hydrateModels([row]))[0];
  }

  async searchRegisteredModels(q: RegisteredModelSearch): Promise<Page<RegisteredModel>> {
    const where = whereClause(this.db.dialect, MODEL_SEARCH, q.filter);
    const order = orderClause(MODEL_SEARCH, q.orderBy, 'm.name ASC');
    const rows = await this.db.query<ModelRow>(
      `SELECT ${MODEL_COLUMNS} FROM registered_models m WHERE m.tenant_id = ? AND ${where.sql}
       ORDER BY ${order.sql} LIMIT ? OFFSET ?`,
      [this.tenantId, ...where.params, ...order.params, q.maxResults + 1, q.offset],
    );
    const items = await this.hydrateModels(rows.slice(0, q.maxResults));
    return rows.length > q.maxResults ? { items, nextOffset: q.offset + q.maxResults } : { items };
  }

  async updateRegisteredModel(
    name: string,
    update: { description: string },
    time: number,
  ): Promise<RegisteredModel> {
    return this.db.transaction(modelLock(this.tenantId, name), async (tx) => {
      await this.requireModel(tx, name);
      await tx.query(
        'UPDATE registered_models SET description = ?, last_updated_time = ? WHERE tenant_id = ? AND name = ?',
        [update.description, time, this.tenantId, name],
      );
      return (await this.hydrateModels([await this.requireModel(tx, name)], tx))[0] as RegisteredModel;
    });
  }

  async deleteRegisteredModel(name: string, actor: string, time: number): Promise<void> {
    await this.db.transaction(modelLock(this.tenantId, name), async (tx) => {
      await this.requireModel(tx, name);
      for (const a of await tx.query<{ alias: string; version: number | string }>(
        'SELECT alias, version FROM registered_model_aliases WHERE tenant_id = ? AND name = ? ORDER BY alias',
        [this.tenantId, name],
      )) {
        await this.recordMove(tx, name, a.alias, num(a.version), null, actor, time);
      }
      await tx.query('DELETE FROM registered_model_aliases WHERE tenant_id = ? AND name = ?', [
        this.tenantId,
        name,
      ]);
      await tx.query('DELETE FROM model_version_tags WHERE tenant_id = ? AND name = ?', [
        this.tenantId,
        name,
      ]);
      await tx.query('DELETE FROM registered_model_versions WHERE tenant_id = ? AND name = ?', [
        this.tenantId,
        name,
      ]);
      await tx.query('DELETE FROM registered_model_tags WHERE tenant_id = ? AND name = ?', [
        this.tenantId,
        name,
      ]);
      await tx.query('DELETE FROM registered_models WHERE tenant_id = ? AND name = ?', [this.tenantId, name]);
    });
  }

  private async touchModel(tx: SqlExecutor, name: string, time: number): Promise<void> {
    await tx.query('UPDATE registered_models SET last_updated_time = ? WHERE tenant_id = ? AND name = ?', [
      time,
      this.tenantId,
      name,
    ]);
  }

  private async writeModelTag(tx: SqlExecutor, name: string, tag: Tag): Promise<void> {
    await tx.query(
      `INSERT INTO registered_model_tags (tenant_id, name, key, value) VALUES (?, ?, ?, ?)
       ON CONFLICT (tenant_id, name, key) DO UPDATE SET value = excluded.value`,
      [this.tenantId, name, tag.key, tag.value],
    );
  }

  async setRegisteredModelTag(name: string, tag: Tag, time: number): Promise<void> {
    await this.db.transaction(modelLock(this.tenantId, name), async (tx) => {
      await this.requireModel(tx, name);
      await this.writeModelTag(tx, name, tag);
      await this.touchModel(tx, name, time);
    });
  }

  async deleteRegisteredModelTag(name: string, key: string, time: number): Promise<void> {
    await this.db.transaction(modelLock(this.tenantId, name), async (tx) => {
      await this.requireModel(tx, name);
      await tx.query('DELETE FROM registered_model_tags WHERE tenant_id = ? AND name = ? AND key = ?', [
        this.tenantId,
        name,
        key,
      ]);
      await this.touchModel(tx, name, time);
    });
  }

  // ---- model versions -----------------------------------------------------------------------

  private async versionRow(db: SqlExecutor, name: string, version: string): Promise<VersionRow | undefined> {
    const v = versionKey(version);
    if (v === undefined) return undefined;
    return (
      await db.query<VersionRow>(
        `SELECT ${VERSION_COLUMNS} FROM registered_model_versions v WHERE v.tenant_id = ? AND v.name = ? AND v.version = ?`,
        [this.tenantId, name, v],
      )
    )[0];
  }

  private async requireVersion(db: SqlExecutor, name: string, version: string): Promise<VersionRow> {
    const row = await this.versionRow(db, name, version);
    if (row === undefined) {
      await this.requireModel(db, name);
      throw notFound(name, version);
    }
    return row;
  }

  private async hydrateVersions(rows: VersionRow[], db: SqlExecutor = this.db): Promise<ModelVersion[]> {
    if (rows.length === 0) return [];
    // (name, version) pairs as a disjunction: portable, and pages are at most 1000 rows.
    const cond = `tenant_id = ? AND (${rows.map(() => '(name = ? AND version = ?)').join(' OR ')})`;
    const params: SqlValue[] = [this.tenantId, ...rows.flatMap((r) => [r.name, num(r.version)])];
    const keyOf = (name: string, version: number | string): string => `${version}\u0000${name}`;
    const tags = new Map<string, Tag[]>();
    for (const t of await db.query<{ name: string; version: number | string; key: string; value: string }>(
      `SELECT name, version, key, value FROM model_version_tags WHERE ${cond}`,
      params,
    )) {
      const k = keyOf(t.name, num(t.version));
      const list = tags.get(k) ?? [];
      list.push({ key: t.key, value: t.value });
      tags.set(k, list);
    }
    const aliases = new Map<string, string[]>();
    for (const a of await db.query<{ name: string; version: number | string; alias: string }>(
      `SELECT name, version, alias FROM registered_model_aliases WHERE ${cond}`,
      params,
    )) {
      const k = keyOf(a.name, num(a.version));
      const list = aliases.get(k) ?? [];
      list.push(a.alias);
      aliases.set(k, list);
    }
    return rows.map((r) => {
      const k = keyOf(r.name, num(r.version));
      return {
        name: r.name,
        version: String(r.version),
        creationTime: num(r.creation_time),
        lastUpdatedTime: num(r.last_updated_time),
        description: r.description,
        userId: r.user_id,
        source: r.source,
        ...(r.run_id === null ? {} : { runId: r.run_id }),
        ...(r.run_link === null ? {} : { runLink: r.run_link }),
        status: r.status as ModelVersionStatus,
        statusMessage: r.status_message,
        ...(r.signature === null ? {} : { signature: JSON.parse(r.signature) as ModelSignature }),
        metrics: JSON.parse(r.metrics) as Record<string, number>,
        ...(r.sha256 === null ? {} : { sha256: r.sha256 }),
        ...(r.model_card === null ? {} : { modelCard: JSON.parse(r.model_card) as Record<string, unknown> }),
        tags: (tags.get(k) ?? []).sort(byKey),
        aliases: (aliases.get(k) ?? []).sort(),
      };
    });
  }

  async createModelVersion(v: NewModelVersion): Promise<ModelVersion> {
    return this.db.transaction(modelLock(this.tenantId, v.name), async (tx) => {
      await this.requireModel(tx, v.name);
      // The counter row outlives the model (deleting a model leaves it), so numbers never repeat.
      const [counter] = await tx.query<{ last_version: number | string }>(
        `INSERT INTO registered_model_version_counters (tenant_id, name, last_version) VALUES (?, ?, 1)
         ON CONFLICT (tenant_id, name) DO UPDATE SET last_version = registered_model_version_counters.last_version + 1
         RETURNING last_version`,
        [this.tenantId, v.name],
      );
      if (counter === undefined)
        throw new KaleidoError('ERR_INTERNAL', 'the version counter returned no row');
      const version = num(counter.last_version);
      await this.touchModel(tx, v.name, v.time);
      await tx.query(
        `INSERT INTO registered_model_versions (tenant_id, name, version, creation_time, last_updated_time, description,
           user_id, source, run_id, run_link, status, status_message, signature, metrics, sha256, model_card)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          this.tenantId,
          v.name,
          version,
          v.time,
          v.time,
          v.description,
          v.userId,
          v.source,
          v.runId ?? null,
          v.runLink ?? null,
          v.status,
          v.statusMessage,
          v.signature === undefined ? null : JSON.stringify(v.signature),
          JSON.stringify(v.metrics),
          v.sha256 ?? null,
          v.modelCard === undefined ? null : JSON.stringify(v.modelCard),
        ],
      );
      for (const t of v.tags) await this.writeVersionTag(tx, v.name, version, t);
      const row = await this.requireVersion(tx, v.name, String(version));
      return (await this.hydrateVersions([row], tx))[0] as ModelVersion;
    });
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion | undefined> {
    const row = await this.versionRow(this.db, name, version);
    return row === undefined ? undefined : (await this.hydrateVersions([row]))[0];
  }

  async updateModelVersion(
    name: string,
    version: string,
    update: ModelVersionUpdate,
    time: number,
  ): Promise<ModelVersion> {
    return this.db.transaction(modelLock(this.tenantId, name), async (tx) => {
      const row = await this.requireVersion(tx, name, version);
      let status = row.status;
      let statusMessage = update.statusMessage ?? row.status_message;
      if (update.status !== undefined && update.status !== row.status) {
        // The registration outcome is decided once; a READY version's content never changes.
        if (
          row.status !== ModelVersionStatus.PENDING_REGISTRATION ||
          update.status === ModelVersionStatus.PENDING_REGISTRATION
        ) {
          throw new KaleidoError(
            'ERR_INVALID_STATE',
            `version ${version} of "${name}" is ${row.status}; only PENDING_REGISTRATION moves to READY or FAILED_REGISTRATION`,
            {
              details: {
                resource: 'model-version',
                name,
                version,
                status: row.status,
                requested: update.status,
              },
            },
          );
        }
        status = update.status;
      } else if (
        update.statusMessage !== undefined &&
        row.status !== ModelVersionStatus.PENDING_REGISTRATION
      ) {
        statusMessage = row.status_message;
      }
      await tx.query(
        `UPDATE registered_model_versions SET description = ?, status = ?, status_message = ?, last_updated_time = ?
         WHERE tenant_id = ? AND name = ? AND version = ?`,
        [
          update.description ?? row.description,
          status,
          statusMessage,
          time,
          this.tenantId,
          name,
          num(row.version),
        ],
      );
      return (
        await this.hydrateVersions([await this.requireVersion(tx, name, version)], tx)
      )[0] as ModelVersion;
    });
  }

  async deleteModelVersion(name: string, version: string, actor: string, time: number): Promise<void> {
    await this.db.transaction(modelLock(this.tenantId, name), async (tx) => {
      const row = await this.requireVersion(tx, name, version);
      const v = num(row.version);
      for (const a of await tx.query<{ alias: string }>(
        'SELECT alias FROM registered_model_aliases WHERE tenant_id = ? AND name = ? AND version = ? ORDER BY alias',
        [this.tenantId, name, v],
      )) {
        await this.recordMove(tx, name, a.alias, v, null, actor, time);
      }
      await tx.query(
        'DELETE FROM registered_model_aliases WHERE tenant_id = ? AND name = ? AND version = ?',
        [this.tenantId, name, v],
      );
      await tx.query('DELETE FROM model_version_tags WHERE tenant_id = ? AND name = ? AND version = ?', [
        this.tenantId,
        name,
        v,
      ]);
      await tx.query(
        'DELETE FROM registered_model_versions WHERE tenant_id = ? AND name = ? AND version = ?',
        [this.tenantId, name, v],
      );
      await this.touchModel(tx, name, time);
    });
  }

  private async writeVersionTag(tx: SqlExecutor, name: string, version: number, tag: Tag): Promise<void> {
    await tx.query(
      `INSERT INTO model_version_tags (tenant_id, name, version, key, value) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id, name, version, key) DO UPDATE SET value = excluded.value`,
      [this.tenantId, name, version, tag.key, tag.value],
    );
  }

  async setModelVersionTag(name: string, version: string, tag: Tag, time: number): Promise<void> {
    await this.db.transaction(modelLock(this.tenantId, name), async (tx) => {
      const row = await this.requireVersion(tx, name, version);
      await this.writeVersionTag(tx, name, num(row.version), tag);
      await tx.query(
        'UPDATE registered_model_versions SET last_updated_time = ? WHERE tenant_id = ? AND name = ? AND version = ?',
        [time, this.tenantId, name, num(row.version)],
      );
    });
  }

  async deleteModelVersionTag(name: string, version: string, key: string, time: number): Promise<void> {
    await this.db.transaction(modelLock(this.tenantId, name), async (tx) => {
      const row = await this.requireVersion(tx, name, version);
      await tx.query(
        'DELETE FROM model_version_tags WHERE tenant_id = ? AND name = ? AND version = ? AND key = ?',
        [this.tenantId, name, num(row.version), key],
      );
      await tx.query(
        'UPDATE registered_model_versions SET last_updated_time = ? WHERE tenant_id = ? AND name = ? AND version = ?',
        [time, this.tenantId, name, num(row.version)],
      );
    });
  }

  async searchModelVersions(q: ModelVersionSearch): Promise<Page<ModelVersion>> {
    const where = whereClause(this.db.dialect, VERSION_SEARCH, q.filter);
    const order = orderClause(VERSION_SEARCH, q.orderBy, 'v.name ASC, v.version DESC');
    const rows = await this.db.query<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM registered_model_versions v WHERE v.tenant_id = ? AND ${where.sql}
       ORDER BY ${order.sql} LIMIT ? OFFSET ?`,
      [this.tenantId, ...where.params, ...order.params, q.maxResults + 1, q.offset],
    );
    const items = await this.hydrateVersions(rows.slice(0, q.maxResults));
    return rows.length > q.maxResults ? { items, nextOffset: q.offset + q.maxResults } : { items };
  }

  // ---- aliases ------------------------------------------------------------------------------

  /**
   * Appends one move. `at` is clamped to the previous move of the alias, so time order and
   * commit order agree even when writers' clocks disagree, and `aliasAt` stays well defined.
   */
  private async recordMove(
    tx: SqlExecutor,
    name: string,
    alias: string,
    from: number | null,
    to: number | null,
    actor: string,
    time: number,
  ): Promise<AliasMove> {
    const [last] = await tx.query<{ at: number | string }>(
      'SELECT at FROM registered_model_alias_history WHERE tenant_id = ? AND name = ? AND alias = ? ORDER BY id DESC LIMIT 1',
      [this.tenantId, name, alias],
    );
    const at = last === undefined ? time : Math.max(time, num(last.at));
    const [row] = await tx.query<HistoryRow>(
      `INSERT INTO registered_model_alias_history (tenant_id, name, alias, from_version, to_version, actor, at)
       VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${HISTORY_COLUMNS}`,
      [this.tenantId, name, alias, from, to, actor, at],
    );
    if (row === undefined) throw new KaleidoError('ERR_INTERNAL', 'the alias history insert returned no row');
    return toMove(row);
  }

  private async currentAlias(db: SqlExecutor, name: string, alias: string): Promise<number | undefined> {
    const [row] = await db.query<{ version: number | string }>(
      'SELECT version FROM registered_model_aliases WHERE tenant_id = ? AND name = ? AND alias = ?',
      [this.tenantId, name, alias],
    );
    return row === undefined ? undefined : num(row.version);
  }

  async setAlias(
    name: string,
    alias: string,
    version: string,
    actor: string,
    time: number,
  ): Promise<AliasMove | undefined> {
    return this.db.transaction(modelLock(this.tenantId, name), async (tx) => {
      const row = await this.requireVersion(tx, name, version);
      const to = num(row.version);
      const from = await this.currentAlias(tx, name, alias);
      if (from === to) return undefined;
      await tx.query(
        `INSERT INTO registered_model_aliases (tenant_id, name, alias, version) VALUES (?, ?, ?, ?)
         ON CONFLICT (tenant_id, name, alias) DO UPDATE SET version = excluded.version`,
        [this.tenantId, name, alias, to],
      );
      await this.touchModel(tx, name, time);
      return this.recordMove(tx, name, alias, from ?? null, to, actor, time);
    });
  }

  async deleteAlias(
    name: string,
    alias: string,
    actor: string,
    time: number,
  ): Promise<AliasMove | undefined> {
    return this.db.transaction(modelLock(this.tenantId, name), async (tx) => {
      await this.requireModel(tx, name);
      const from = await this.currentAlias(tx, name, alias);
      if (from === undefined) return undefined;
      await tx.query('DELETE FROM registered_model_aliases WHERE tenant_id = ? AND name = ? AND alias = ?', [
        this.tenantId,
        name,
        alias,
      ]);
      await this.touchModel(tx, name, time);
      return this.recordMove(tx, name, alias, from, null, actor, time);
    });
  }

  async getAlias(name: string, alias: string): Promise<string | undefined> {
    const v = await this.currentAlias(this.db, name, alias);
    return v === undefined ? undefined : String(v);
  }

  async aliasAt(name: string, alias: string, at: number): Promise<string | undefined> {
    const [row] = await this.db.query<{ to_version: number | string | null }>(
      `SELECT to_version FROM registered_model_alias_history WHERE tenant_id = ? AND name = ? AND alias = ? AND at <= ?
       ORDER BY id DESC LIMIT 1`,
      [this.tenantId, name, alias, at],
    );
    return row === undefined ? undefined : optionalString(row.to_version);
  }

  async aliasHistory(name: string, q: AliasHistoryQuery): Promise<AliasMove[]> {
    const afterId = q.afterId ?? 0;
    const rows =
      q.alias === undefined
        ? await this.db.query<HistoryRow>(
            `SELECT ${HISTORY_COLUMNS} FROM registered_model_alias_history
             WHERE tenant_id = ? AND name = ? AND id > ? ORDER BY id LIMIT ?`,
            [this.tenantId, name, afterId, q.limit],
          )
        : await this.db.query<HistoryRow>(
            `SELECT ${HISTORY_COLUMNS} FROM registered_model_alias_history
             WHERE tenant_id = ? AND name = ? AND alias = ? AND id > ? ORDER BY id LIMIT ?`,
            [this.tenantId, name, q.alias, afterId, q.limit],
          );
    return rows.map(toMove);
  }
}
