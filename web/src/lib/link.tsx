// An <a> that navigates in place (client-side routing) and still works as a real link.
import type { ReactNode } from 'react';
import { onLinkClick } from './router.js';

export function Link({ to, children, className }: { to: string; children: ReactNode; className?: string }) {
  return (
    <a href={to} className={className} onClick={(e) => onLinkClick(e, to)}>
      {children}
    </a>
  );
}
