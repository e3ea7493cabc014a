/**
 * Encryption-at-rest administration (system administrators only):
 *
 *   POST /v1/admin/encryption/rewrap   start re-wrapping every data key under the active KEK
 *                                      (and encrypting legacy plaintext objects); 202 with the
 *                                      run's state, or 200 with the final counts when ?wait=true
 *   GET  /v1/admin/encryption/rewrap   the state and counts of the last (or current) run
 *
 * Starting while a run is going joins that run (idempotent). The POST is audited (action
 * "update" on "tenant": platform administration, like tenant management).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KaleidoError } from '../../core/errors.js';
import { SYSTEM_TENANT } from '../../core/security/principal.js';
import type { RewrapReport } from '../../security/encrypting-artifact-store.js';
import type { RouteSecurity } from '../plugins/security.js';

export interface EncryptionAdmin {
  rewrap(): Promise<RewrapReport>;
  rewrapStatus(): RewrapReport;
}

export const REWRAP_ROUTE = '/v1/admin/encryption/rewrap';

function systemAdminOnly(request: FastifyRequest): void {
  // Without the security edge (auth.mode=disabled) every route is open by configuration.
  const p = request.principal as FastifyRequest['principal'] | undefined;
  if (p === undefined || p === null) return;
  if (p.tenantId !== SYSTEM_TENANT || p.role !== 'admin') {
    throw new KaleidoError('ERR_PERMISSION_DENIED', 'only system administrators may manage encryption keys', {
      details: { action: 'operate', resource: 'encryption' },
    });
  }
}

const send = (reply: FastifyReply, status: number, report: RewrapReport) =>
  reply
    .code(status)
    .type('application/json')
    .send(JSON.stringify({ rewrap: report }));

export async function registerEncryptionAdminRoutes(
  app: FastifyInstance,
  encryption: EncryptionAdmin,
): Promise<void> {
  const declare = (action: RouteSecurity['action'], audit: boolean) => ({
    config: { security: { action, resource: 'tenant', ...(audit ? { audit: true } : {}) } as RouteSecurity },
  });

  app.post(REWRAP_ROUTE, declare('update', true), async (request, reply) => {
    systemAdminOnly(request);
    const wait = (request.query as Record<string, unknown> | undefined)?.['wait'];
    if (wait !== undefined && wait !== 'true' && wait !== 'false') {
      throw new KaleidoError('ERR_VALIDATION', 'wait must be true or false', { details: { field: 'wait' } });
    }
    const run = encryption.rewrap();
    if (wait === 'true') return send(reply, 200, await run);
    // Background: failures end up in the report (GET), never as an unhandled rejection.
    run.catch((err: unknown) => request.log.error({ err }, 'rewrap failed'));
    return send(reply, 202, encryption.rewrapStatus());
  });

  app.get(REWRAP_ROUTE, declare('read', false), async (request, reply) => {
    systemAdminOnly(request);
    return send(reply, 200, encryption.rewrapStatus());
  });
}
