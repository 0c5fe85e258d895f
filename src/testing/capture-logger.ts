// One logger for tests that check what the server logs: every call becomes a line with its level,
// its fields and its message, as pino would write them. A child's bindings are merged into its
// lines' fields (as pino's are), so a test sees the same fields an operator would.
import type { Logger } from '../core/ports.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogLine {
  level: LogLevel;
  /** The line's fields: a copy of what was logged, with the bindings of its child loggers. */
  obj: Record<string, unknown>;
  /** The message: the second argument, or the first when that was a string. */
  msg: string | undefined;
}

export interface CapturingLogger extends Logger {
  /** Every line logged so far through this logger or its children, oldest first. */
  readonly lines: LogLine[];
  /** The messages logged at one level. */
  messages(level: LogLevel): string[];
}

export function capturingLogger(lines: LogLine[] = []): CapturingLogger {
  const make = (bindings: Record<string, unknown>): CapturingLogger => {
    const at = (level: LogLevel) => (obj: object | string, msg?: string) => {
      lines.push(typeof obj === 'string' ? { level, obj: { ...bindings }, msg: obj } : { level, obj: { ...bindings, ...obj }, msg });
    };
    return {
      lines,
      messages: (level) => lines.filter((l) => l.level === level).map((l) => l.msg ?? ''),
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return make({});
}
