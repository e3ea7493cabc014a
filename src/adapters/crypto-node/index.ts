/**
 * PiiCrypto over node:crypto (OpenSSL): HMAC-SHA-256 and AES-256-GCM with random 96-bit IVs and
 * 128-bit tags. Blob layout: iv (12) | ciphertext | tag (16).
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { KaleidoError } from '../../core/errors.js';
import type { PiiCrypto } from '../../core/safety/pii/types.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

function checkKey(key: Uint8Array, what: string): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new KaleidoError('ERR_VALIDATION', `${what} key must be ${KEY_BYTES} bytes`, {
      details: { keyLength: key instanceof Uint8Array ? key.length : undefined },
    });
  }
}

export class NodePiiCrypto implements PiiCrypto {
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
    if (!(key instanceof Uint8Array) || key.length === 0) {
      throw new KaleidoError('ERR_VALIDATION', 'HMAC key must be a non-empty byte array');
    }
    return new Uint8Array(createHmac('sha256', key).update(data).digest());
  }

  aesGcmEncrypt(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
    checkKey(key, 'AES-256-GCM');
    // A random 96-bit IV per message: with one key, stay well below 2^32 messages (NIST SP 800-38D).
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return new Uint8Array(Buffer.concat([iv, body, cipher.getAuthTag()]));
  }

  aesGcmDecrypt(key: Uint8Array, blob: Uint8Array): Uint8Array {
    checkKey(key, 'AES-256-GCM');
    if (!(blob instanceof Uint8Array) || blob.length < IV_BYTES + TAG_BYTES) {
      throw new KaleidoError('ERR_VALIDATION', 'ciphertext is too short to be AES-256-GCM output', {
        details: { length: blob instanceof Uint8Array ? blob.length : undefined },
      });
    }
    const iv = blob.subarray(0, IV_BYTES);
    const tag = blob.subarray(blob.length - TAG_BYTES);
    const body = blob.subarray(IV_BYTES, blob.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    try {
      return new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()]));
    } catch (cause) {
      // OpenSSL only says "unable to authenticate data": wrong key or modified ciphertext.
      throw new KaleidoError(
        'ERR_VALIDATION',
        'ciphertext failed authentication (wrong key or tampered data)',
        {
          details: { reason: 'authentication tag mismatch' },
          cause,
        },
      );
    }
  }
}
