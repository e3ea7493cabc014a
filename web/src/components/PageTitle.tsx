import { useEffect, useRef, type ReactNode } from 'react';
import { takeFocusRequest } from '../router';

/** A page's h1; after a navigation it takes focus, so the new page is where reading starts. */
export function PageTitle({ children }: { readonly children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (takeFocusRequest()) ref.current?.focus();
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}
