// The process logger: JSON lines on stdout (pino). Authorization headers and anything named
// like a key or secret are redacted before they are written.
import { pino } from 'pino';
import type { Logger } from '../core/ports.js';
import type { Config } from './env.js';

export const REDACT_PATHS = [
  'req.headers.authorization', 'req.headers["x-auth-token"]', '*.apiKey', '*.api_key', '*.secret', '*.password', '*.token',
];

export function createLogger(level: Config['logLevel']): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: undefined });
}
