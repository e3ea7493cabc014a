/**
 * A minimal history router: the location is an external store (popstate + our own pushes), links
 * are real <a href> elements (open in new tab, copy link and keyboard all work) whose plain clicks
 * are handled without a reload.
 */
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

const EVENT = 'kaleido:navigate';

/**
 * Set when the person moved to another page (a link or back/forward): the next page heading to
 * mount takes focus (PageTitle), so keyboard and screen reader users start on the new page.
 * A flag rather than an effect in the shell because lazily loaded pages mount their heading later.
 */
let focusRequested = false;

/** True once after a navigation; the caller should then move focus to itself. */
export function takeFocusRequest(): boolean {
  const requested = focusRequested;
  focusRequested = false;
  return requested;
}

if (typeof window !== 'undefined') {
  window.addEventListener('popstate', () => {
    focusRequested = true;
  });
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(EVENT, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(EVENT, onChange);
  };
}

export const usePathname = (): string => useSyncExternalStore(subscribe, () => window.location.pathname);

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (path === window.location.pathname) return;
  if (options.replace) window.history.replaceState(null, '', path);
  else {
    window.history.pushState(null, '', path);
    focusRequested = true;
  }
  window.dispatchEvent(new Event(EVENT));
}

export interface LinkProps extends Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> {
  readonly to: string;
  readonly children: ReactNode;
}

export function Link({ to, children, onClick, ...rest }: LinkProps) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    // Let the browser handle new-tab/window and download gestures.
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    ) {
      return;
    }
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={handle} {...rest}>
      {children}
    </a>
  );
}
