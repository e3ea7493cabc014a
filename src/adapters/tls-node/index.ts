/**
 * TLS material for the HTTP and gRPC front ends, from `server.tls`:
 *
 * - certFile/keyFile (PEM; caFile optional, sent as the chain): read once at start and checked —
 *   a missing or unreadable file, a file that is not PEM, or a key that does not belong to the
 *   certificate refuses to start with ERR_BAD_CONFIG naming the field.
 * - selfSigned (development only): a certificate for localhost, 127.0.0.1 and ::1 is generated
 *   with the `selfsigned` package into <data.dir>/tls/ (key 0600) on the first start and reused
 *   afterwards (regenerated when it expired).
 *
 * The SHA-256 fingerprint is returned so the caller can log it (clients pin or compare it).
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { KaleidoError } from '../../core/errors.js';

export interface TlsSettings {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
  /** Mutual TLS: the CA bundle client certificates must be issued by ('' = no client certificates). */
  readonly clientCaFile?: string;
  readonly selfSigned: boolean;
}

export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The chain (caFile), when configured. */
  readonly ca?: Buffer;
  /** Mutual TLS: the CAs trusted to issue client certificates (clientCaFile), when configured. */
  readonly clientCa?: Buffer;
  /** "AB:CD:…" SHA-256 fingerprint of the certificate. */
  readonly fingerprint256: string;
  readonly subjectAltName: string;
  readonly validTo: string;
  /** Paths actually used (the generated ones with selfSigned). */
  readonly certFile: string;
  readonly keyFile: string;
  readonly selfSigned: boolean;
  /** True when this start generated the self-signed certificate. */
  readonly generated: boolean;
}

/** TLS is on when a certificate is configured or a self-signed one is asked for. */
export const tlsEnabled = (s: TlsSettings): boolean => s.selfSigned || s.certFile !== '' || s.keyFile !== '';

const bad = (field: string, message: string, cause?: unknown): KaleidoError =>
  new KaleidoError('ERR_BAD_CONFIG', `server.tls.${field}: ${message}`, {
    details: { field: `server.tls.${field}` },
    ...(cause === undefined ? {} : { cause }),
  });

function readPem(field: string, file: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'error';
    throw bad(field, `cannot read ${file} (${code})`, e);
  }
  if (!bytes.toString('utf8').includes('-----BEGIN ')) throw bad(field, `${file} is not a PEM file`);
  return bytes;
}

async function ensureSelfSigned(
  dataDir: string,
): Promise<{ certFile: string; keyFile: string; generated: boolean }> {
  const dir = join(dataDir, 'tls');
  const certFile = join(dir, 'selfsigned-cert.pem');
  const keyFile = join(dir, 'selfsigned-key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) {
    try {
      const cert = new X509Certificate(readFileSync(certFile));
      if (Date.parse(cert.validTo) > Date.now() + 24 * 3600 * 1000)
        return { certFile, keyFile, generated: false };
    } catch {
      // Damaged: generate a new one below.
    }
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const notAfter = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  writeFileSync(certFile, pems.cert, { mode: 0o644 });
  return { certFile, keyFile, generated: true };
}

export async function loadTlsMaterial(
  settings: TlsSettings,
  options: { readonly dataDir: string },
): Promise<TlsMaterial> {
  let certFile = settings.certFile;
  let keyFile = settings.keyFile;
  let generated = false;
  if (settings.selfSigned) {
    if (certFile !== '' || keyFile !== '') {
      throw bad('selfSigned', 'set either selfSigned or certFile/keyFile, not both');
    }
    ({ certFile, keyFile, generated } = await ensureSelfSigned(options.dataDir));
  } else if (certFile === '' || keyFile === '') {
    throw bad(certFile === '' ? 'certFile' : 'keyFile', 'both certFile and keyFile are required for TLS');
  }
  const cert = readPem('certFile', certFile);
  const key = readPem('keyFile', keyFile);
  const ca = settings.caFile === '' ? undefined : readPem('caFile', settings.caFile);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (e) {
    throw bad('certFile', `${certFile} does not hold a valid certificate`, e);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (e) {
    throw bad('keyFile', `${keyFile} does not hold a valid, unencrypted private key`, e);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw bad('keyFile', `the key in ${keyFile} does not belong to the certificate in ${certFile}`);
  }
  if (ca !== undefined) {
    try {
      new X509Certificate(ca);
    } catch (e) {
      throw bad('caFile', `${settings.caFile} does not hold a valid certificate`, e);
    }
  }
  const clientCaFile = settings.clientCaFile ?? '';
  const clientCa = clientCaFile === '' ? undefined : readPem('clientCaFile', clientCaFile);
  if (clientCa !== undefined) {
    try {
      new X509Certificate(clientCa);
    } catch (e) {
      throw bad('clientCaFile', `${clientCaFile} does not hold a valid certificate`, e);
    }
  }
  if (Date.parse(x509.validTo) < Date.now()) {
    throw bad('certFile', `the certificate in ${certFile} expired on ${x509.validTo}`);
  }
  return {
    cert,
    key,
    ...(ca === undefined ? {} : { ca }),
    ...(clientCa === undefined ? {} : { clientCa }),
    fingerprint256: x509.fingerprint256,
    subjectAltName: x509.subjectAltName ?? '',
    validTo: x509.validTo,
    certFile,
    keyFile,
    selfSigned: settings.selfSigned,
    generated,
  };
}
