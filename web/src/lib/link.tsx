// An <a> that navigates in place (client-side routing) and still works as a real link.
import type { ReactNode } from 'react';
import { onLinkClick } from './router.js';

/** `current`: the link is to the section (or page) shown, said to assistive technology (aria-current) and styled by it. */
export function Link({ to, children, className, current }: { to: string; children: ReactNode; className?: string; current?: boolean }) {
  return (
    <a href={to} className={className} aria-current={current ? 'true' : undefined} onClick={(e) => onLinkClick(e, to)}>
      {children}
    </a>
  );
}
