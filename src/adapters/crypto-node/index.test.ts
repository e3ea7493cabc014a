import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../../core/errors.js';
import { NodePiiCrypto } from './index.js';

const c = new NodePiiCrypto();
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('NodePiiCrypto', () => {
  it('HMAC-SHA-256 matches RFC 4231 test cases 1 and 2', () => {
    expect(hex(c.hmacSha256(new Uint8Array(20).fill(0x0b), utf8('Hi There')))).toBe(
      'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    );
    expect(hex(c.hmacSha256(utf8('Jefe'), utf8('what do ya want for nothing?')))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    expect(() => c.hmacSha256(new Uint8Array(0), utf8('x'))).toThrow(KaleidoError);
  });

  it('AES-256-GCM round-trips with a fresh IV per message and the documented layout', () => {
    const key = new Uint8Array(32).fill(9);
    const msg = utf8('536-90-1234');
    const a = c.aesGcmEncrypt(key, msg);
    const b = c.aesGcmEncrypt(key, msg);
    expect(a.length).toBe(12 + msg.length + 16);
    expect(hex(a)).not.toBe(hex(b));
    expect(c.aesGcmDecrypt(key, a)).toEqual(msg);
    expect(c.aesGcmDecrypt(key, c.aesGcmEncrypt(key, new Uint8Array(0)))).toEqual(new Uint8Array(0));
  });

  it('rejects tampered ciphertexts, tags, IVs and wrong keys', () => {
    const key = new Uint8Array(32).fill(9);
    const blob = c.aesGcmEncrypt(key, utf8('secret value'));
    for (const pos of [0, 12, blob.length - 1]) {
      const t = blob.slice();
      t[pos] = t[pos]! ^ 1;
      expect(() => c.aesGcmDecrypt(key, t)).toThrow(/failed authentication/);
    }
    expect(() => c.aesGcmDecrypt(new Uint8Array(32), blob)).toThrow(
      expect.objectContaining({ code: 'ERR_VALIDATION' }),
    );
    expect(() => c.aesGcmDecrypt(key, blob.subarray(0, 20))).toThrow(/too short/);
    expect(() => c.aesGcmEncrypt(new Uint8Array(16), utf8('x'))).toThrow(/32 bytes/);
  });
});
