/**
 * The console's pages. The first path segment of each must also be in WEB_UI_ROUTES of
 * src/server/routes/web-ui.ts, which answers index.html for them (reloads and shared links).
 */
export interface RouteInfo {
  /** First path segment. */
  readonly segment: string;
  readonly title: string;
  readonly description: string;
}

export const ROUTES: readonly RouteInfo[] = [
  { segment: 'playground', title: 'Playground', description: 'Analyse text, images, audio and video.' },
  { segment: 'models', title: 'Models', description: 'Repository, registry, versions and aliases.' },
  { segment: 'experiments', title: 'Experiments & runs', description: 'Tracked training runs.' },
  { segment: 'datasets', title: 'Data sets', description: 'Training and evaluation data.' },
  { segment: 'studies', title: 'Studies', description: 'Hyper-parameter searches.' },
  { segment: 'monitoring', title: 'Monitoring', description: 'Live serving metrics.' },
  // Listed in the navigation only for roles that may read keys, users or the audit log (App.tsx).
  { segment: 'admin', title: 'Administration', description: 'API keys, users and the audit log.' },
];

export const DEFAULT_SEGMENT = 'playground';

export interface Location {
  /** The route's first segment ('' for an unknown path). */
  readonly segment: string;
  /** Further decoded path segments (e.g. the model name of /models/<name>). */
  readonly rest: readonly string[];
}

/** Splits a pathname into the route and the rest; `/` is the default page. */
export function parseLocation(pathname: string): Location {
  const parts = pathname
    .split('/')
    .filter((p) => p !== '')
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  if (parts.length === 0) return { segment: DEFAULT_SEGMENT, rest: [] };
  const [first, ...rest] = parts;
  return ROUTES.some((r) => r.segment === first) ? { segment: first!, rest } : { segment: '', rest: parts };
}

/** The path of a page and optional sub-path, each segment encoded. */
export const pathTo = (segment: string, ...rest: string[]): string =>
  '/' + [segment, ...rest].map((s) => encodeURIComponent(s)).join('/');
