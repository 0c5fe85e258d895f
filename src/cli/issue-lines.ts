// Where in the pushed file the server's issues are. The server names a field by its path
// (`targets.0.code`); a YAML author looks for a line. Each issue gets `file:line` when its path
// (or its nearest parent that the file has, for a missing field) is found, and a compile error
// inside a code block ("… (line 2)") points at that line of the block, not at its key.
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, Scalar } from 'yaml';

type Path = readonly (string | number)[];

/** "(line N)" at the end of a sandbox compile error: the line within the code. */
const CODE_LINE = /\(line (\d+)\)$/;

/** A function giving the file's line for an issue, or undefined when the path is not in the file. */
export function issueLocator(text: string): (path: Path, message: string) => number | undefined {
  const lines = new LineCounter();
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { lineCounter: lines, keepSourceTokens: false });
  } catch {
    return () => undefined;
  }
  if (doc.errors.length > 0) return () => undefined;
  return (path, message) => {
    const { node, at, exact } = nodeAt(doc.contents as Node | null, path);
    if (!at?.range) return undefined;
    // The key's line, as a reader finds a field: a map's own range starts at its first entry.
    const line = lines.linePos(at.range[0]).line;
    const inCode = CODE_LINE.exec(message);
    if (!inCode || !exact || !isScalar(node) || !node.range) return line;
    const codeLine = Number(inCode[1]);
    // A block scalar's range starts at its `|` or `>` header; its first line is the next one.
    const header = lines.linePos(node.range[0]).line;
    if (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED) return header + codeLine;
    // A one-line scalar: the code's first line is the key's line; later lines of a quoted
    // multi-line string are not mapped.
    return codeLine === 1 ? header : undefined;
  };
}

/**
 * The node at `path` (exact), or the deepest ancestor the document has (a field it lacks), and
 * what marks its place: the key that names it in a map, the item itself in a list.
 */
function nodeAt(root: Node | null, path: Path): { node: Node | undefined; at: Node | undefined; exact: boolean } {
  let node: Node | undefined = root ?? undefined;
  // Nothing of the path in the file (a root-level issue): no line to give.
  let at: Node | undefined;
  for (const key of path) {
    const next = child(node, key);
    if (!next?.value) return { node, at, exact: false };
    node = next.value;
    at = next.key ?? next.value;
  }
  return { node, at, exact: true };
}

function child(node: Node | undefined, key: string | number): { key?: Node; value: Node | undefined } | undefined {
  if (isSeq(node)) return typeof key === 'number' ? { value: node.items[key] as Node | undefined } : undefined;
  if (isMap(node)) {
    const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(key));
    return pair ? { key: pair.key as Node, value: pair.value as Node | undefined } : undefined;
  }
  return undefined;
}
