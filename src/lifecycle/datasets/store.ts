/**
 * DatasetStore over the ArtifactStore port (a directory embedded, S3 scaled out). Layout:
 *
 *   datasets/blobs/sha256/<hex>                 uploaded bytes and data-set files, content-addressed
 *   datasets/<name>/v<version>/manifest.json    the DatasetVersion (written last: its presence
 *                                               means the version is complete)
 *   datasets/<name>/v<version>/split.json       the row → split assignment
 *
 * Rows are not stored twice: `rows()` parses the content blob again with the options recorded in
 * the schema, which gives the same rows because parsing is deterministic. Registrations of one
 * name are serialised within the process; across processes, writing a manifest that appeared
 * meanwhile is refused (ERR_ALREADY_EXISTS) rather than overwritten.
 *
 * Data sets belong to tenants: the `system` tenant's live under `datasets/<name>/` (where every
 * data set lived before tenants owned them), another tenant's under
 * `tenants/<tenant>/datasets/<name>/`; a store is one tenant's view (`forTenant`), so names are
 * per tenant and another tenant's data set answers exactly like a missing one. Blobs stay shared
 * and content-addressed: only a manifest the tenant can read names them.
 */
import { KaleidoError } from '../../core/errors.js';
import { SYSTEM_TENANT } from '../../core/security/principal.js';
import type { ArtifactStore } from '../../core/ports/artifact-store.js';
import {
  DatasetFormat,
  type DatasetRow,
  type DatasetSplitIndices,
  type DatasetStore,
  type DatasetVersion,
  type RegisterDatasetRequest,
  type RowIssue,
} from '../../core/ports/dataset-store.js';
import { listFiles, listingRows, sha256Hex, type FileListingEntry } from './files.js';
import { parseCsv, parseJsonl, type ParseResult } from './parse.js';
import { resolveSplitSpec, splitCounts, stratifiedSplit, validateRows } from './schema.js';

export interface ArtifactDatasetStoreOptions {
  readonly artifacts: ArtifactStore;
  /** Wall clock for createdAt (ms since the epoch). */
  readonly now?: () => number;
  /** Issues listed in an ERR_VALIDATION (all are counted). */
  readonly maxReportedIssues?: number;
  /** Whose data sets this view holds (default: the system tenant). */
  readonly tenantId?: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const BLOBS = 'datasets/blobs/sha256/';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const blobKey = (sha: string): string => `${BLOBS}${sha}`;
/** Where a tenant's data sets live (the system tenant's where all of them lived before tenants). */
const tenantRoot = (tenantId: string): string =>
  tenantId === SYSTEM_TENANT ? 'datasets/' : `tenants/${tenantId}/datasets/`;
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function checkName(name: unknown): asserts name is string {
  // "blobs" is the content-addressed area under datasets/, not a data set.
  if (typeof name !== 'string' || !NAME.test(name) || name === 'blobs') {
    throw new KaleidoError(
      'ERR_VALIDATION',
      'data set names are 1–128 letters, digits, "_", "." or "-" (and not "blobs")',
      {
        details: { field: 'name', value: String(name).slice(0, 200) },
      },
    );
  }
}

function parseSource(request: RegisterDatasetRequest): {
  parsed: ParseResult;
  content: Uint8Array;
  listing: FileListingEntry[] | null;
  files: Map<string, Uint8Array>;
} {
  const source = request.source;
  switch (source?.format) {
    case DatasetFormat.JSONL:
      return { parsed: parseJsonl(source.content), content: source.content, listing: null, files: new Map() };
    case DatasetFormat.CSV:
      return {
        parsed: parseCsv(source.content, source.delimiter),
        content: source.content,
        listing: null,
        files: new Map(),
      };
    case DatasetFormat.FILES: {
      const { listing, issues } = listFiles(source.files);
      const files = new Map<string, Uint8Array>();
      for (const f of source.files) files.set(f.path, f.data);
      const content = encoder.encode(JSON.stringify(listing));
      return { parsed: listingRows(listing, issues), content, listing, files };
    }
    default:
      throw new KaleidoError('ERR_VALIDATION', "source.format must be 'jsonl', 'csv' or 'files'", {
        details: { field: 'source.format' },
      });
  }
}

export class ArtifactDatasetStore implements DatasetStore {
  private readonly artifacts: ArtifactStore;
  private readonly now: () => number;
  private readonly maxReportedIssues: number;
  private readonly locks: Map<string, Promise<unknown>>;
  readonly tenantId: string;
  private readonly root: string;
  private readonly views: Map<string, ArtifactDatasetStore>;

  constructor(
    private readonly options: ArtifactDatasetStoreOptions,
    shared?: { locks: Map<string, Promise<unknown>>; views: Map<string, ArtifactDatasetStore> },
  ) {
    this.artifacts = options.artifacts;
    this.now = options.now ?? Date.now;
    this.maxReportedIssues = options.maxReportedIssues ?? 100;
    this.tenantId = options.tenantId ?? SYSTEM_TENANT;
    this.root = tenantRoot(this.tenantId);
    this.locks = shared?.locks ?? new Map();
    this.views = shared?.views ?? new Map();
  }

  /** The same store for another tenant's data sets (same artifacts, locks and blobs). */
  forTenant(tenantId: string): ArtifactDatasetStore {
    if (tenantId === this.tenantId) return this;
    let view = this.views.get(tenantId);
    if (view === undefined) {
      view = new ArtifactDatasetStore(
        { ...this.options, tenantId },
        { locks: this.locks, views: this.views },
      );
      this.views.set(tenantId, view);
    }
    return view;
  }

  private versionPrefix(name: string, version: number): string {
    return `${this.root}${name}/v${version}/`;
  }

  async register(request: RegisterDatasetRequest): Promise<DatasetVersion> {
    checkName(request?.name);
    const badRows = request.badRows ?? 'reject';
    if (badRows !== 'reject' && badRows !== 'skip') {
      throw new KaleidoError('ERR_VALIDATION', "badRows must be 'reject' or 'skip'", {
        details: { field: 'badRows' },
      });
    }
    const spec = resolveSplitSpec(request.split);
    const { parsed, content, listing, files } = parseSource(request);
    const isFiles = listing !== null;
    const validated = validateRows(
      parsed,
      isFiles ? { ...request, labelField: 'label', fileField: 'file' } : request,
    );
    if (validated.issues.length > 0 && badRows === 'reject') throw this.badRowsError(validated.issues);
    if (validated.rows.length === 0) {
      throw new KaleidoError('ERR_VALIDATION', 'the data set has no valid rows', {
        details: { field: 'source' },
      });
    }
    const labels = validated.rows.map((r) => r.label);
    const split = stratifiedSplit(labels, spec);
    const sha256 = sha256Hex(content);

    return this.withLock(`${this.root}${request.name}`, async () => {
      const existing = await this.list(request.name);
      const latest = existing.at(-1);
      if (
        latest !== undefined &&
        latest.sha256 === sha256 &&
        JSON.stringify(latest.schema) === JSON.stringify(validated.schema) &&
        JSON.stringify(latest.split.spec) === JSON.stringify(spec) &&
        JSON.stringify(latest.rejectedRows) === JSON.stringify(validated.issues)
      ) {
        return latest;
      }
      const version = (latest?.version ?? 0) + 1;
      const prefix = this.versionPrefix(request.name, version);
      await this.putBlob(sha256, content);
      if (listing !== null) {
        for (const entry of listing) await this.putBlob(entry.sha256, files.get(entry.path) as Uint8Array);
      }
      const assignmentKey = `${prefix}split.json`;
      await this.artifacts.put(assignmentKey, encoder.encode(JSON.stringify(split)));
      const manifest: DatasetVersion = {
        name: request.name,
        version,
        format: request.source.format,
        csvDelimiter: request.source.format === DatasetFormat.CSV ? (request.source.delimiter ?? ',') : null,
        sha256,
        sizeBytes: isFiles ? listing.reduce((n, e) => n + e.size, 0) : content.length,
        contentKey: blobKey(sha256),
        rowCount: validated.rows.length,
        schema: validated.schema,
        classes: validated.classes,
        classBalance: validated.classBalance,
        split: { spec, counts: splitCounts(labels, split), assignmentKey },
        rejectedRows: validated.issues,
        description: request.description ?? null,
        createdAt: this.now(),
      };
      const manifestKey = `${prefix}manifest.json`;
      if ((await this.artifacts.stat(manifestKey)) !== undefined) {
        throw new KaleidoError(
          'ERR_ALREADY_EXISTS',
          `data set ${request.name} version ${version} was registered concurrently`,
          {
            details: { name: request.name, version },
          },
        );
      }
      await this.artifacts.put(manifestKey, encoder.encode(JSON.stringify(manifest)));
      return manifest;
    });
  }

  async get(name: string, version?: number): Promise<DatasetVersion> {
    checkName(name);
    if (version === undefined) {
      const latest = (await this.list(name)).at(-1);
      if (latest === undefined) throw notFound(name);
      return latest;
    }
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new KaleidoError('ERR_VALIDATION', 'versions are positive integers', {
        details: { field: 'version' },
      });
    }
    const key = `${this.versionPrefix(name, version)}manifest.json`;
    if ((await this.artifacts.stat(key)) === undefined) throw notFound(name, version);
    return JSON.parse(decoder.decode(await this.artifacts.get(key))) as DatasetVersion;
  }

  async list(name?: string): Promise<DatasetVersion[]> {
    if (name !== undefined) checkName(name);
    const infos = await this.artifacts.list(name === undefined ? this.root : `${this.root}${name}/`);
    const found: Array<{ name: string; version: number }> = [];
    const manifest = new RegExp(`^${escapeRegExp(this.root)}([^/]+)/v([0-9]+)/manifest\\.json$`);
    for (const info of infos) {
      const m = manifest.exec(info.key);
      if (m) found.push({ name: m[1] as string, version: Number(m[2]) });
    }
    found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version - b.version));
    return Promise.all(found.map((f) => this.get(f.name, f.version)));
  }

  async rows(name: string, version: number): Promise<DatasetRow[]> {
    const manifest = await this.get(name, version);
    const content = await this.artifacts.get(manifest.contentKey);
    let parsed: ParseResult;
    if (manifest.format === DatasetFormat.FILES) {
      parsed = listingRows(JSON.parse(decoder.decode(content)) as FileListingEntry[]);
    } else {
      parsed =
        manifest.format === DatasetFormat.CSV
          ? parseCsv(content, manifest.csvDelimiter ?? ',')
          : parseJsonl(content);
    }
    const s = manifest.schema;
    return validateRows(parsed, {
      name,
      source: { format: 'jsonl', content: new Uint8Array() },
      labelField: s.labelField,
      ...(s.textField === null ? {} : { textField: s.textField }),
      ...(s.fileField === null ? {} : { fileField: s.fileField }),
      featureFields: s.featureFields,
      ...(s.sensitiveAttributes === undefined ? {} : { sensitiveAttributes: s.sensitiveAttributes }),
    }).rows;
  }

  async splitIndices(name: string, version: number): Promise<DatasetSplitIndices> {
    const manifest = await this.get(name, version);
    return JSON.parse(
      decoder.decode(await this.artifacts.get(manifest.split.assignmentKey)),
    ) as DatasetSplitIndices;
  }

  async readFile(reference: string): Promise<Uint8Array> {
    const m = typeof reference === 'string' ? /^sha256:([0-9a-f]{64})$/.exec(reference) : null;
    if (!m) {
      throw new KaleidoError('ERR_VALIDATION', 'a file reference is "sha256:<64 hex digits>"', {
        details: { field: 'reference' },
      });
    }
    return this.artifacts.get(blobKey(m[1] as string));
  }

  private badRowsError(issues: readonly RowIssue[]): KaleidoError {
    const shown = issues.slice(0, this.maxReportedIssues);
    const first = shown[0];
    const where = first?.line !== undefined ? `line ${first.line}` : (first?.path ?? '');
    return new KaleidoError(
      'ERR_VALIDATION',
      `${issues.length} bad row${issues.length === 1 ? '' : 's'} (first: ${where}: ${first?.message ?? ''}); fix them or register with badRows: 'skip'`,
      { details: { issueCount: issues.length, issues: shown } },
    );
  }

  /** Content-addressed: a blob already present (same hash) is not written again. */
  private async putBlob(sha: string, data: Uint8Array): Promise<void> {
    const key = blobKey(sha);
    if ((await this.artifacts.stat(key)) !== undefined) return;
    const info = await this.artifacts.put(key, data);
    if (info.sha256 !== sha) {
      throw new KaleidoError(
        'ERR_INTERNAL',
        'the artifact store computed another hash than the data set store',
        {
          details: { key, expected: sha, actual: info.sha256 },
        },
      );
    }
  }

  private async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(name) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(name, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(name) === tail) this.locks.delete(name);
    }
  }
}

function notFound(name: string, version?: number): KaleidoError {
  return new KaleidoError(
    'ERR_NOT_FOUND',
    version === undefined ? `no data set named ${name}` : `data set ${name} has no version ${version}`,
    { details: { name, ...(version === undefined ? {} : { version }) } },
  );
}
