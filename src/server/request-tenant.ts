/**
 * The tenant a request acts for, for routes whose resources belong to tenants (data sets, training
 * jobs, studies, experiments, registered models, trained models).
 *
 * - With the security edge (auth.mode required or open-inference) it is the authenticated
 *   principal's tenant (the anonymous principal's configured tenant in open-inference mode).
 * - Without it (auth.mode=disabled: there is no identity at all) everything acts as the `system`
 *   tenant, which is what existed before tenants owned resources.
 * - A route the operator opened (`auth.openRoutes`) has no principal although the edge is on: such
 *   a request is refused rather than guessed into a tenant.
 */
import type { FastifyRequest } from 'fastify';
import { KaleidoError } from '../core/errors.js';
import { SYSTEM_TENANT, type Principal } from '../core/security/principal.js';

export function requestTenant(request: FastifyRequest): string {
  // `principal` is decorated (null until authenticated) only when the security edge is registered.
  const principal = (request as { principal?: Principal | null }).principal;
  if (principal === undefined) return SYSTEM_TENANT;
  if (principal === null) {
    throw new KaleidoError('ERR_UNAUTHENTICATED', 'credentials are required for tenant resources');
  }
  return principal.tenantId;
}
