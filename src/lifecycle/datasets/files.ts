/**
 * Data sets made of files, one directory per class ("cat/001.jpg", "dog/017.jpg"): from a folder
 * on disk or a zip archive to rows that reference each file by its SHA-256.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KaleidoError } from '../../core/errors.js';
import type { DatasetFile, RowIssue } from '../../core/ports/dataset-store.js';
import type { ParseResult, RawRow } from './parse.js';

export const sha256Hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** One entry of the content listing that a FILES data set version is addressed by. */
export interface FileListingEntry {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

/** The problem with a path as "<class>/<name>", or undefined. */
function pathProblem(path: string): string | undefined {
  if (path.includes('\\')) return 'uses a backslash';
  const segments = path.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return 'has an empty, "." or ".." segment';
  if (segments.length < 2) return 'is not inside a class directory';
  if (segments.some((s) => s.startsWith('.'))) return 'is hidden (a name starts with ".")';
  return undefined;
}

/**
 * Checks the paths and lists the files sorted by path (the order rows get). Paths that are not
 * "<class>/<…>/<name>" (a file at the top level, a hidden file such as .DS_Store, traversal) are
 * issues, never silently skipped; a path given twice is an issue too.
 */
export function listFiles(files: readonly DatasetFile[]): {
  listing: FileListingEntry[];
  issues: RowIssue[];
} {
  const issues: RowIssue[] = [];
  const seen = new Set<string>();
  const listing: FileListingEntry[] = [];
  for (const f of files) {
    const problem = typeof f.path === 'string' ? pathProblem(f.path) : 'is not a string';
    if (problem !== undefined) {
      issues.push({ path: String(f.path), message: `path ${problem}` });
      continue;
    }
    if (seen.has(f.path)) {
      issues.push({ path: f.path, message: 'path appears twice' });
      continue;
    }
    seen.add(f.path);
    listing.push({ path: f.path, sha256: sha256Hex(f.data), size: f.data.length });
  }
  listing.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { listing, issues };
}

/** Rows of a FILES data set: label = first path segment, file = "sha256:<hex>". */
export function listingRows(listing: readonly FileListingEntry[], issues: RowIssue[] = []): ParseResult {
  const rows: RawRow[] = listing.map((e, i) => ({
    line: i + 1,
    fields: {
      label: e.path.slice(0, e.path.indexOf('/')),
      file: `sha256:${e.sha256}`,
      path: e.path,
      size: e.size,
    },
  }));
  return { rows, issues, columns: ['label', 'file', 'path', 'size'] };
}

/** Reads every regular file under `dir` (recursively) as DatasetFile entries with "/" paths. */
export async function readFolder(dir: string, maxFiles = 100_000): Promise<DatasetFile[]> {
  const out: DatasetFile[] = [];
  const walk = async (abs: string, rel: string): Promise<void> => {
    const entries = await readdir(abs, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const relPath = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(join(abs, e.name), relPath);
      else if (e.isFile()) {
        if (out.length >= maxFiles) {
          throw new KaleidoError('ERR_PAYLOAD_TOO_LARGE', `the folder has more than ${maxFiles} files`, {
            details: { maxFiles },
          });
        }
        out.push({ path: relPath, data: new Uint8Array(await readFile(join(abs, e.name))) });
      }
      // Symlinks and other special entries are not followed: a data set is what is inside the folder.
    }
  };
  try {
    await walk(dir, '');
  } catch (e) {
    if (e instanceof KaleidoError) throw e;
    throw new KaleidoError('ERR_NOT_FOUND', `cannot read the folder ${dir}`, { cause: e, details: { dir } });
  }
  return out;
}
