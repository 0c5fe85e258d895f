// A table that scrolls sideways inside its own box, so a narrow screen (a phone's 390 px)
// scrolls the table rather than the whole page. The box takes keyboard focus, named after the
// table, so it can be scrolled without a pointer (the pattern axe's scrollable-region rule asks for).
import type { ReactNode } from 'react';

export function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
