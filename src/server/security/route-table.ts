/**
 * What every HTTP route of the server does, for authorization: one table from (method, route URL
 * as registered) to the action and resource type the RBAC table decides on, or "open".
 *
 * Routes owned by other modules (OIP, analyze, MLflow, the web UI, the lifecycle API) are mapped
 * here rather than by editing each route, so the whole surface can be reviewed on one page. A
 * route missing from this table and without its own `config.security` is refused by the security
 * plugin (deny by default), and test/security/route-inventory.test.ts fails, which is how a new
 * route gets noticed: add it here (or declare `config.security` on it) in the same change.
 */
import { DEFAULT_OPEN_ROUTES, type RouteSecurity } from '../plugins/security.js';
import type { Action, ResourceType } from '../../core/security/principal.js';
import { MLFLOW_PREFIX } from '../routes/mlflow.js';
import { WEB_UI_ROOT_FILES, WEB_UI_ROUTES } from '../routes/web-ui.js';

/**
 * The web console's static routes: a UI has to load before anybody can log in, and it holds no
 * data (everything it shows comes from the authenticated API).
 */
export const WEB_UI_OPEN_ROUTES: readonly string[] = [
  '/',
  '/assets/*',
  ...WEB_UI_ROOT_FILES.map((f) => `/${f}`),
  ...WEB_UI_ROUTES.flatMap((r) => [`/${r}`, `/${r}/*`]),
];

export interface OpenRouteOptions {
  /** `auth.openMetrics`: Prometheus scrapes /metrics without a credential. */
  readonly openMetrics?: boolean;
  /** `auth.openRoutes`: further routes the operator opened. */
  readonly extra?: readonly string[];
}

/** Routes that need no credential: the health probes, the web UI shell, and what config adds. */
export function openRoutesFor(options: OpenRouteOptions = {}): string[] {
  return [
    ...new Set([
      ...DEFAULT_OPEN_ROUTES,
      ...WEB_UI_OPEN_ROUTES,
      ...(options.openMetrics === true ? ['/metrics'] : []),
      ...(options.extra ?? []),
    ]),
  ];
}

const sec = (action: Action, resource: ResourceType): RouteSecurity => ({ action, resource });

/** Create/update/delete by HTTP method, for plain REST collections (datasets, studies …). */
function byMethod(method: string, resource: ResourceType, url: string): RouteSecurity | undefined {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return sec('read', resource);
    case 'POST':
      // POST /things creates; POST /things/:id/<verb> (cancel, stop, resume …) acts on one.
      return /\/:[^/]+\/[a-z][a-z-]*$/.test(url)
        ? sec(resource === 'study' ? 'operate' : 'update', resource)
        : sec('create', resource);
    case 'PUT':
    case 'PATCH':
      return sec('update', resource);
    case 'DELETE':
      return sec('delete', resource);
    default:
      return undefined;
  }
}

/** The lifecycle API's collections under /v1 and the resource type each belongs to. */
const V1_COLLECTIONS: Readonly<Record<string, ResourceType>> = {
  datasets: 'dataset',
  // A training job is a (one-trial) study in the RBAC sense: maintainers run them, analysts read.
  'training-jobs': 'study',
  studies: 'study',
  // Model cards (GET: read) and fairness evaluations (POST …/fairness: update) of registered versions.
  registry: 'model_version',
};

/** MLflow's POST routes that only read (search and lookups sent with a body). */
const MLFLOW_POST_READS = new Set([
  'experiments/search',
  'runs/search',
  'registered-models/search',
  'registered-models/get-latest-versions',
  'model-versions/search',
]);

function mlflowSecurity(method: string, path: string): RouteSecurity | undefined {
  const [group, verb = ''] = path.split('/', 2) as [string, string?];
  const resource: ResourceType | undefined =
    group === 'experiments' || group === 'runs' || group === 'metrics'
      ? 'study'
      : group === 'registered-models'
        ? 'model'
        : group === 'model-versions'
          ? 'model_version'
          : undefined;
  if (resource === undefined) return undefined;
  if (method === 'GET' || method === 'HEAD' || MLFLOW_POST_READS.has(path)) return sec('read', resource);
  if (verb === 'create') return sec('create', resource);
  // Deleting an experiment, run, model or version; deleting a tag is an update of its owner.
  if (verb === 'delete' && path.split('/').length === 2) return sec('delete', resource);
  // update, restore, set-tag, delete-tag, log-*, alias (set and delete).
  return sec('update', resource);
}

/**
 * The security of one route, or undefined when the route is unknown (then refused). `url` is the
 * route as registered (`/v2/models/:model/infer`), not the request path.
 */
export function routeSecurityFor(method: string, url: string): RouteSecurity | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  if (url === '/metrics') return m === 'GET' ? sec('read', 'deployment') : undefined;

  // Open Inference Protocol v2.
  if (url === '/v2' || url.startsWith('/v2/')) {
    if (m === 'GET') return sec('read', 'model');
    if (m !== 'POST') return undefined;
    if (/^\/v2\/models\/:model(\/versions\/:version)?\/infer$/.test(url)) return sec('infer', 'model');
    if (url === '/v2/repository/index') return sec('read', 'model');
    if (/^\/v2\/repository\/models\/:model\/(load|unload)$/.test(url)) return sec('operate', 'model_version');
    return undefined;
  }

  // Multi-modal analysis.
  if (url === '/v1/analyze') return m === 'POST' ? sec('infer', 'model') : undefined;
  // Raw content through a registered head (lifecycle/classify.ts): an inference like OIP's.
  if (/^\/v1\/classify\/:model(\/versions\/:version)?$/.test(url)) {
    return m === 'POST' ? sec('infer', 'model') : undefined;
  }
  if (url === '/v1/pipelines' || url === '/v1/analyzers' || url === '/v1/openapi.json') {
    return m === 'GET' ? sec('read', 'model') : undefined;
  }

  // The lifecycle API (datasets, training jobs, studies).
  const v1 = /^\/v1\/([a-z-]+)(\/.*)?$/.exec(url);
  if (v1 !== null) {
    const resource = V1_COLLECTIONS[v1[1] as string];
    return resource === undefined ? undefined : byMethod(m, resource, url);
  }

  if (url.startsWith(`${MLFLOW_PREFIX}/`)) return mlflowSecurity(m, url.slice(MLFLOW_PREFIX.length + 1));
  return undefined;
}
