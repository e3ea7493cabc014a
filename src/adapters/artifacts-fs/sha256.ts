/** Streaming sha256 of files: what the artifact store and the model loader use to verify bytes. */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { KaleidoError } from '../../core/errors.js';
import { fsError } from './fs-errors.js';

/** 1 MiB reads: large enough to run at disk speed, small enough to keep memory flat. */
const READ_CHUNK_BYTES = 1 << 20;

/** Lowercase hex sha256 of an open file, read from its start (the handle stays open). */
export async function sha256OfHandle(file: FileHandle): Promise<string> {
  const hash = createHash('sha256');
  const buffer = new Uint8Array(READ_CHUNK_BYTES);
  let position = 0;
  for (;;) {
    const { bytesRead } = await file.read(buffer, 0, buffer.byteLength, position);
    if (bytesRead === 0) return hash.digest('hex');
    hash.update(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
}

/** Lowercase hex sha256 of the file at `path`, read as a stream (constant memory). */
export async function sha256OfFile(path: string): Promise<string> {
  if (typeof path !== 'string' || path === '') {
    throw new KaleidoError('ERR_VALIDATION', 'path must be a non-empty string', {
      details: { field: 'path' },
    });
  }
  let file: FileHandle | undefined;
  try {
    file = await open(path, 'r');
    return await sha256OfHandle(file);
  } catch (e) {
    throw fsError(e, { path });
  } finally {
    await file?.close();
  }
}
