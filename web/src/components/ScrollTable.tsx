import type { ReactNode } from 'react';

/**
 * A table that may scroll sideways on narrow screens: the scrolling box is a named region in the
 * tab order, so keyboard users can scroll it too (WCAG 2.1.1; axe scrollable-region-focusable).
 */
export function ScrollTable({
  label,
  className,
  children,
}: {
  readonly label: string;
  readonly className?: string;
  readonly children: ReactNode;
}) {
  return (
    <div
      className={className ? `table-wrap ${className}` : 'table-wrap'}
      role="region"
      aria-label={label}
      tabIndex={0}
    >
      {children}
    </div>
  );
}
