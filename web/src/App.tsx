/**
 * The console's shell: skip link, top bar (brand, the sign-in slot, theme), navigation, and the
 * page of the current URL. Pages other than the Playground load on first visit.
 */
import { lazy, Suspense, useEffect, useId } from 'react';
import { SessionSlot } from './components/SignIn';
import { Loading } from './components/States';
import { AuthProvider, useAuth } from './auth/AuthContext';
import { TenantSwitcher } from './auth/TenantSwitcher';
import { NotFound } from './pages/NotYet';
import { Playground } from './pages/Playground';
import { Link, navigate, usePathname } from './router';
import { parseLocation, pathTo, ROUTES } from './routes';
import { useTheme, type ThemeChoice } from './theme';

const Models = lazy(() => import('./pages/Models').then((m) => ({ default: m.Models })));
const Experiments = lazy(() => import('./pages/Experiments').then((m) => ({ default: m.Experiments })));
const DataSets = lazy(() => import('./pages/DataSets').then((m) => ({ default: m.DataSets })));
const Studies = lazy(() => import('./pages/Studies').then((m) => ({ default: m.Studies })));
const Monitoring = lazy(() => import('./pages/Monitoring').then((m) => ({ default: m.Monitoring })));
const Admin = lazy(() => import('./pages/Admin').then((m) => ({ default: m.Admin })));

export function App() {
  const pathname = usePathname();
  const location = parseLocation(pathname);
  const route = ROUTES.find((r) => r.segment === location.segment);

  // "/" shows the Playground under its own address.
  useEffect(() => {
    if (pathname === '/' || pathname === '') navigate(pathTo('playground'), { replace: true });
  }, [pathname]);

  useEffect(() => {
    document.title = route ? `${route.title} · Kaleido` : 'Not found · Kaleido';
  }, [route]);

  let page;
  switch (location.segment) {
    case 'playground':
      page = <Playground />;
      break;
    case 'models':
      page = <Models rest={location.rest} />;
      break;
    case 'experiments':
      page = <Experiments rest={location.rest} />;
      break;
    case 'datasets':
      page = <DataSets rest={location.rest} />;
      break;
    case 'studies':
      page = <Studies rest={location.rest} />;
      break;
    case 'monitoring':
      page = <Monitoring />;
      break;
    case 'admin':
      page = <Admin rest={location.rest} />;
      break;
    default:
      page = <NotFound />;
  }

  return (
    <AuthProvider>
      <div className="shell">
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="topbar">
          <Link to={pathTo('playground')} className="brand">
            <img src="/favicon.svg" alt="" width="26" height="26" />
            Kaleido
          </Link>
          <SessionSlot />
          <TenantSwitcher />
          <ThemeSwitch />
        </header>
        <MainNav current={location.segment} />
        <main id="main" tabIndex={-1}>
          <Suspense fallback={<Loading label="Loading the page…" />}>{page}</Suspense>
        </main>
      </div>
    </AuthProvider>
  );
}

/** Administration sections the session may read (kept in step with pages/Admin.tsx). */
const ADMIN_READS = ['api_key', 'user', 'audit_log'] as const;

function MainNav({ current }: { readonly current: string }) {
  const auth = useAuth();
  // Administration is for signed-in roles the server lets read keys, users or the audit log.
  const admin = auth.info.mode === 'signed-in' && ADMIN_READS.some((r) => auth.can(r, 'read'));
  return (
    <nav className="sidenav" aria-label="Main">
      <ul>
        {ROUTES.filter((r) => r.segment !== 'admin' || admin || current === 'admin').map((r) => (
          <li key={r.segment}>
            <Link to={pathTo(r.segment)} aria-current={r.segment === current ? 'page' : undefined}>
              {r.title}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function ThemeSwitch() {
  const [theme, setTheme] = useTheme();
  const id = useId();
  return (
    <span className="row">
      <label htmlFor={id} className="small">
        Theme
      </label>
      <select id={id} value={theme} onChange={(e) => setTheme(e.target.value as ThemeChoice)}>
        <option value="system">System</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </span>
  );
}
