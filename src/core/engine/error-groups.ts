// Failures alike, counted, for the summary's `topErrors`: a CI log that says "48 failing" and
// nothing more sends its reader to the web page to learn that 45 were one provider's 429s
// (promptfoo #3885 asks for failures grouped by error). Bounded: at most MAX_KINDS groups are
// kept whatever a run meets, each holding one message of at most MESSAGE_CHARS.
import type { ErrorGroup } from '../model/summary.js';

/** Kinds of failure counted per run; later kinds are not (a run of all-different messages). */
const MAX_KINDS = 200;
/** Groups the summary lists. */
const TOP = 5;
/** Characters of a message that tell groups apart; the rest (a quoted body, an id) does not. */
const KEY_CHARS = 80;
/** Characters of the group's first message kept to show. */
const MESSAGE_CHARS = 300;

type Owner = { targetId: string } | { evaluatorId: string };

export class ErrorGroups {
  private readonly groups = new Map<string, ErrorGroup>();

  add(owner: Owner, message: string): void {
    const who = 'targetId' in owner ? `t:${owner.targetId}` : `e:${owner.evaluatorId}`;
    // Digits differ between failures of one kind: ports, ids, times, token counts.
    const key = `${who}\u0000${message.slice(0, KEY_CHARS).replace(/\d+/g, '#')}`;
    const group = this.groups.get(key);
    if (group) group.count++;
    else if (this.groups.size < MAX_KINDS) this.groups.set(key, Object.assign({ ...owner }, { message: message.slice(0, MESSAGE_CHARS), count: 1 }));
  }

  /** The commonest groups, most frequent first (the first met first among equals). */
  top(): ErrorGroup[] {
    return [...this.groups.values()].sort((a, b) => b.count - a.count).slice(0, TOP).map((g) => ({ ...g }));
  }
}
