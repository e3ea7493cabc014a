/** TLS options of the front ends, shaped from the material adapters/tls-node loads. */
/** What the HTTPS and gRPC front ends need of the TLS material. */
export interface ServerTlsOptions {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
  readonly clientCa?: Buffer;
}

/**
 * Options for Node's TLS server (https.createServer). Node's `ca` is the set of CAs trusted for
 * *client* certificates, so with mutual TLS the server's own chain goes into `cert` (certificate
 * then issuers) and `ca` holds only the client CAs: the issuer of the server certificate is not
 * thereby trusted to issue client certificates.
 */
export function nodeTlsServerOptions(o: ServerTlsOptions): {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
} {
  if (o.clientCa === undefined) return { cert: o.cert, key: o.key, ...(o.ca ? { ca: o.ca } : {}) };
  return {
    cert: o.ca ? Buffer.concat([o.cert, Buffer.from('\n'), o.ca]) : o.cert,
    key: o.key,
    ca: o.clientCa,
    requestCert: true,
    rejectUnauthorized: true,
  };
}
