import { KaleidoError } from '../../core/errors.js';

/** Maps a Node file-system error to the catalog; `details` names the key or path involved. */
export function fsError(e: unknown, details: Record<string, unknown>): KaleidoError {
  if (e instanceof KaleidoError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new KaleidoError('ERR_NOT_FOUND', 'artifact not found', { cause: e, details });
    case 'EISDIR':
      return new KaleidoError('ERR_VALIDATION', 'the path names a directory, not a file', {
        cause: e,
        details,
      });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new KaleidoError('ERR_PERMISSION_DENIED', 'the artifact directory refuses this operation', {
        cause: e,
        details: { ...details, code },
      });
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EMFILE':
    case 'ENFILE':
    case 'EIO':
      return new KaleidoError('ERR_UNAVAILABLE', 'the artifact directory cannot serve this operation now', {
        cause: e,
        details: { ...details, code, dependency: 'filesystem' },
      });
    default:
      return new KaleidoError('ERR_INTERNAL', 'artifact file operation failed', { cause: e, details });
  }
}
