import { createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EnvelopeEncryption, StaticKeyEncryptionKeyProvider } from './envelope.js';

const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

const envelope = (current: string, keys: Record<string, string>) =>
  new EnvelopeEncryption(new StaticKeyEncryptionKeyProvider(current, keys));

describe('EnvelopeEncryption', () => {
  it('round-trips bytes (empty included) and never repeats a ciphertext', () => {
    const env = envelope('k1', { k1: K1 });
    const a = env.encrypt(bytes('hello data set'), 'dataset/42');
    const b = env.encrypt(bytes('hello data set'), 'dataset/42');
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(text(env.decrypt(a, 'dataset/42'))).toBe('hello data set');
    expect(env.decrypt(env.encrypt(new Uint8Array(0), 'o'), 'o')).toHaveLength(0);
    expect(env.keyIdOf(a)).toBe('k1');
  });

  it('follows the documented layout (opened here with node:crypto alone)', () => {
    const env = envelope('kek-2024', { 'kek-2024': K1 });
    const sealed = Buffer.from(env.encrypt(bytes('layout'), 'obj'));
    expect(sealed.subarray(0, 4).toString()).toBe('KEV1');
    const idLen = sealed[4] as number;
    expect(sealed.toString('utf8', 5, 5 + idLen)).toBe('kek-2024');
    let at = 5 + idLen;
    const take = (n: number) => sealed.subarray(at, (at += n));
    const [wrapIv, wrapped, wrapTag, dataIv, dataTag] = [take(12), take(32), take(16), take(12), take(16)];
    const body = sealed.subarray(at);
    const unwrap = createDecipheriv('aes-256-gcm', Buffer.from(K1, 'base64'), wrapIv);
    unwrap.setAAD(Buffer.from('kaleido.envelope.v1\0dek\0kek-2024\0obj'));
    unwrap.setAuthTag(wrapTag);
    const dek = Buffer.concat([unwrap.update(wrapped), unwrap.final()]);
    const d = createDecipheriv('aes-256-gcm', dek, dataIv);
    d.setAAD(Buffer.from('kaleido.envelope.v1\0data\0obj'));
    d.setAuthTag(dataTag);
    expect(Buffer.concat([d.update(body), d.final()]).toString()).toBe('layout');
  });

  it('detects a flipped bit anywhere and refuses it', () => {
    const env = envelope('k1', { k1: K1 });
    const sealed = env.encrypt(bytes('sensitive payload'), 'artifact/7');
    const idEnd = 5 + 2;
    for (let i = 0; i < sealed.length; i++) {
      const copy = new Uint8Array(sealed);
      copy[i] = (copy[i] as number) ^ 0x01;
      let code: string | undefined;
      try {
        env.decrypt(copy, 'artifact/7');
      } catch (e) {
        code = (e as { code?: string }).code;
      }
      // Flipping the key id (or its length) names a key that does not exist (a configuration error, still refused).
      const expected =
        i >= 4 && i < idEnd ? ['ERR_INTEGRITY_FAILED', 'ERR_BAD_CONFIG'] : ['ERR_INTEGRITY_FAILED'];
      expect(expected, `byte ${i}`).toContain(code);
    }
  });

  it('binds the ciphertext to its object id, and refuses truncation and garbage', () => {
    const env = envelope('k1', { k1: K1 });
    const sealed = env.encrypt(bytes('x'), 'dataset/1');
    expect(() => env.decrypt(sealed, 'dataset/2')).toThrow(
      expect.objectContaining({ code: 'ERR_INTEGRITY_FAILED' }),
    );
    expect(() => env.decrypt(sealed.subarray(0, 40), 'dataset/1')).toThrow(
      expect.objectContaining({ code: 'ERR_INTEGRITY_FAILED' }),
    );
    expect(() => env.decrypt(bytes('plain text, never sealed'), 'dataset/1')).toThrow(
      expect.objectContaining({ code: 'ERR_INTEGRITY_FAILED' }),
    );
    expect(() => env.decrypt(sealed, '')).toThrow(expect.objectContaining({ code: 'ERR_VALIDATION' }));
  });

  it('refuses data sealed under a different KEK with the same id', () => {
    const sealed = envelope('k1', { k1: K1 }).encrypt(bytes('x'), 'o');
    expect(() => envelope('k1', { k1: K2 }).decrypt(sealed, 'o')).toThrow(
      expect.objectContaining({ code: 'ERR_INTEGRITY_FAILED' }),
    );
  });

  it('rotates without downtime: old values open during rotation, rewrap moves them to the new KEK', () => {
    const before = envelope('k1', { k1: K1 });
    const sealed = before.encrypt(bytes('rotate me'), 'secret/db');
    const during = envelope('k2', { k1: K1, k2: K2 });
    expect(text(during.decrypt(sealed, 'secret/db'))).toBe('rotate me');
    expect(during.needsRewrap(sealed)).toBe(true);
    const rewrapped = during.rewrap(sealed, 'secret/db');
    expect(during.keyIdOf(rewrapped)).toBe('k2');
    expect(during.needsRewrap(rewrapped)).toBe(false);
    expect(during.rewrap(rewrapped, 'secret/db')).toBe(rewrapped);
    // The data part (iv, tag, ciphertext) is carried over byte for byte.
    const tail = (b: Uint8Array) => Buffer.from(b.subarray(b.length - (12 + 16 + 9)));
    expect(tail(rewrapped).equals(tail(sealed))).toBe(true);
    const after = envelope('k2', { k2: K2 });
    expect(text(after.decrypt(rewrapped, 'secret/db'))).toBe('rotate me');
    expect(() => after.decrypt(sealed, 'secret/db')).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
    expect(() => during.rewrap(sealed, 'secret/other')).toThrow(
      expect.objectContaining({ code: 'ERR_INTEGRITY_FAILED' }),
    );
  });

  it('seals text for secrets and redaction keys', () => {
    const env = envelope('k1', { k1: K1 });
    const s = env.encryptText('pii-hmac-key ✓', 'redaction-key/default');
    expect(s.startsWith('kev1:')).toBe(true);
    expect(env.decryptText(s, 'redaction-key/default')).toBe('pii-hmac-key ✓');
    expect(() => env.decryptText('pii-hmac-key', 'redaction-key/default')).toThrow(
      expect.objectContaining({ code: 'ERR_INTEGRITY_FAILED' }),
    );
  });
});

describe('StaticKeyEncryptionKeyProvider', () => {
  it('validates ids, lengths, base64 and the current key', () => {
    expect(
      () => new StaticKeyEncryptionKeyProvider('k1', { k1: randomBytes(16).toString('base64') }),
    ).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
    expect(() => new StaticKeyEncryptionKeyProvider('k1', { k1: '!!not base64!!' })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
    expect(() => new StaticKeyEncryptionKeyProvider('k 1', { 'k 1': K1 })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
    expect(() => new StaticKeyEncryptionKeyProvider('k2', { k1: K1 })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
    const p = new StaticKeyEncryptionKeyProvider('k1', { k1: K1, k0: new Uint8Array(32) });
    expect(p.currentKeyId()).toBe('k1');
    expect(p.getKey('k0')).toHaveLength(32);
    expect(p.getKey('nope')).toBeUndefined();
  });
});
