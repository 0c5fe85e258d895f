// The environment, read once and validated (SPEC §1). A bad value stops start-up with a
// message naming the variable (exit code 2, see cli/main.ts).
import path from 'node:path';
import { z } from 'zod';
import { noUserinfo } from '../core/model/experiment.js';
import type { ProviderSettings } from '../core/ports.js';
import type { ConnectionLimits } from '../http/connections.js';
import { connectionLimits, parseTrustedProxies } from './connections.js';

export const API_KEY_PATTERN = /^sk-lw-[A-Za-z0-9]{40}$/;

const intFromEnv = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.int().min(min).max(max));

const boolFromEnv = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']))
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const urlFromEnv = z.string().trim().pipe(z.url({ protocol: /^https?$/ }));

/**
 * A provider's base URL. A `user:password@` in it is refused: calls never send it (the key goes in
 * the provider's own header), and every project sees the server's base URL (GET /api/providers).
 */
const providerBaseUrlFromEnv = urlFromEnv.refine(noUserinfo, "must not contain credentials (user:password@): they are never sent with a call (the provider's key is), and every project sees the server's base URL in GET /api/providers");

/** A URL value with userinfo (`scheme://user:pass@`): never echoed in a configuration error. */
const HAS_USERINFO = /^\s*[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i;

const envSchema = z.object({
  PORT: intFromEnv(0, 65535).default(5560),
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  ASSAY_DATA_DIR: z.string().trim().min(1).default('./.assay'),
  DATABASE_URL: z
    .string()
    .trim()
    .regex(/^(postgres(ql)?|sqlite):\/\//, 'must start with postgres:// (or sqlite:// for the embedded default)')
    // `sqlite://<path>` was taken and its path unused (the database is ASSAY_DATA_DIR/assay.db):
    // someone who named a file got another one, without a word.
    .refine((u) => !u.startsWith('sqlite://') || u === 'sqlite://', 'sqlite:// takes no path: the embedded database is always ASSAY_DATA_DIR/assay.db, so set ASSAY_DATA_DIR to choose its folder (and leave DATABASE_URL unset, or exactly sqlite://)')
    .optional(),
  /** PostgreSQL schema for all tables (default: the connection's search_path). */
  ASSAY_DB_SCHEMA: z.string().trim().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase SQL identifier').optional(),
  REDIS_URL: z.string().trim().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  /**
   * First segment of every Redis key and pub/sub channel of this installation (docs/deployment.md,
   * "Sharing one Redis"). No `:` (the separator) and no braces (Redis Cluster hash tags).
   */
  ASSAY_REDIS_PREFIX: z.string().trim().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1 to 64 letters, digits, _ . or -').default('assay'),
  /** What this process does in cluster mode (docs/deployment.md); checked against the command in config/roles.ts. */
  ASSAY_ROLE: z.enum(['api', 'worker', 'all']).optional(),
  /** Cells executing at once in this process across all its runs (unset: each run's own concurrency only). */
  ASSAY_WORKER_CONCURRENCY: intFromEnv(1, 100_000).optional(),
  ASSAY_WORKER_PORT: intFromEnv(0, 65535).optional(),
  ASSAY_API_KEY: z.string().trim().regex(API_KEY_PATTERN, 'must look like sk-lw- followed by 40 letters or digits').optional(),
  ASSAY_ADMIN_TOKEN: z.string().trim().min(32, 'must be at least 32 characters (e.g. openssl rand -base64 32)').optional(),
  ASSAY_PUBLIC_URL: urlFromEnv.optional(),
  ASSAY_SECRET_KEY: z.string().trim().min(32, 'must be at least 32 characters (e.g. openssl rand -base64 32)').optional(),
  ASSAY_MAX_BODY_BYTES: intFromEnv(1024, 1024 * 1024 * 1024).default(10 * 1024 * 1024),
  /** Streamed dataset uploads (CSV, JSON Lines) are never held whole, so they get their own, larger bound. */
  ASSAY_MAX_UPLOAD_BYTES: intFromEnv(1024, 64 * 1024 * 1024 * 1024).default(1024 * 1024 * 1024),
  ASSAY_MAX_ROW_BYTES: intFromEnv(64, 1024 * 1024 * 1024).default(1024 * 1024),
  ASSAY_MAX_ROWS: intFromEnv(1, 100_000_000).default(1_000_000),
  ASSAY_MAX_CELLS_PER_RUN: intFromEnv(1, Number.MAX_SAFE_INTEGER).default(10_000_000),
  ASSAY_SSE_MAX_PER_KEY: intFromEnv(0, 1_000_000).default(100),
  ASSAY_RUN_RATE_LIMIT: intFromEnv(0, 1_000_000).default(60),
  ASSAY_RUN_RATE_WINDOW_MS: intFromEnv(100, 86_400_000).default(60_000),
  ASSAY_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** `true`: a log line (info) per request once answered, with its client address (http/access-log.ts). */
  ASSAY_ACCESS_LOG: boolFromEnv.default(false),
  ASSAY_SHUTDOWN_TIMEOUT_MS: intFromEnv(0, 600_000).default(10_000),
  ASSAY_HTTP_TARGETS_ALLOW_PRIVATE: boolFromEnv.default(true),
  ASSAY_LIMIT_PER_KEY: intFromEnv(1, 100_000).default(1000),
  ASSAY_MODEL_CONCURRENCY: intFromEnv(1, 10_000).default(128),
  /** Total heap, MB, of the sandbox isolates alive at once in this process: 128 MB each, so at least one (docs/decisions.md, "Code sandbox"). */
  ASSAY_SANDBOX_MEMORY_MB: intFromEnv(128, 1_048_576).default(1024),
  /** `*` (every project), `none`, or a comma-separated list of project slugs or ids. */
  ASSAY_SHARED_CREDENTIALS_PROJECTS: z
    .string()
    .trim()
    .transform((v, ctx) => {
      if (v === '*') return 'all' as const;
      if (v.toLowerCase() === 'none') return [] as string[];
      const names = v.split(',').map((n) => n.trim()).filter((n) => n !== '');
      const bad = names.find((n) => !/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/.test(n));
      if (bad !== undefined || names.length === 0) {
        ctx.addIssue({ code: 'custom', message: `must be *, none or a comma-separated list of project slugs or ids${bad ? ` (not ${JSON.stringify(bad)})` : ''}` });
        return z.NEVER;
      }
      return names;
    })
    .default('all'),
  /** Connections open at once per listener (default: config/connections.ts). */
  ASSAY_MAX_CONNECTIONS: intFromEnv(1, 1_000_000).optional(),
  /** Connections open at once from one client address; 0 = no cap. */
  ASSAY_MAX_CONNECTIONS_PER_CLIENT: intFromEnv(0, 1_000_000).optional(),
  /** Reverse proxies whose X-Forwarded-For names the client (http/client-address.ts). */
  ASSAY_TRUSTED_PROXIES: z
    .string()
    .transform((v, ctx) => {
      const parsed = parseTrustedProxies(v);
      if ('proxies' in parsed) return parsed.proxies;
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    })
    .default([]),
  /** How long an idle keep-alive connection stays open (Node's default, 5 s). */
  ASSAY_KEEP_ALIVE_TIMEOUT_MS: intFromEnv(1_000, 600_000).optional(),
  /** Time for a request's headers to arrive (default 20 s; http/connections.ts). */
  ASSAY_HEADERS_TIMEOUT_MS: intFromEnv(1_000, 600_000).optional(),
  /** Time a request body may stay silent while the server waits for it (default 30 s). */
  ASSAY_BODY_IDLE_TIMEOUT_MS: intFromEnv(1_000, 3_600_000).optional(),
  /** Least average rate of a request body after its first ASSAY_BODY_IDLE_TIMEOUT_MS (default 500; 0 = none). */
  ASSAY_BODY_MIN_BYTES_PER_SECOND: intFromEnv(0, 1_000_000_000).optional(),
  /** Failed authentications per client address per minute before 429 (project keys and the admin token). */
  ASSAY_AUTH_FAILURES_PER_MINUTE: intFromEnv(1, 1_000_000).default(100),
  /** `false` removes GET /metrics and stops collecting (docs/operations.md). */
  ASSAY_METRICS: boolFromEnv.default(true),
  /** When set, GET /metrics wants `Authorization: Bearer <this>`. */
  ASSAY_METRICS_TOKEN: z.string().trim().min(16, 'must be at least 16 characters').optional(),
  /** Traces carry prompts, rows and outputs only when this is true. */
  ASSAY_TRACE_CONTENT: boolFromEnv.default(false),
  /** Milliseconds /readyz waits for the database before answering 503. */
  ASSAY_READY_TIMEOUT_MS: intFromEnv(50, 60_000).default(2_000),
  /** `true` lets V8 optimize undici's HTTP/1 parser (src/net/undici.ts); for processes that make hundreds of thousands of calls. */
  ASSAY_OPTIMIZE_HTTP_PARSER: boolFromEnv.default(false),
  // OpenTelemetry (read by the Node SDK itself; validated here so a typo stops start-up).
  OTEL_EXPORTER_OTLP_ENDPOINT: urlFromEnv.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: urlFromEnv.optional(),
  OTEL_SDK_DISABLED: boolFromEnv.default(false),
  OTEL_TRACES_EXPORTER: z.string().trim().optional(),
  // Model providers (SPEC §1). Project settings (PUT /api/providers/{name}) override these.
  OPENAI_API_KEY: z.string().trim().min(1).optional(),
  OPENAI_BASE_URL: providerBaseUrlFromEnv.optional(),
  ANTHROPIC_API_KEY: z.string().trim().min(1).optional(),
  ANTHROPIC_BASE_URL: providerBaseUrlFromEnv.optional(),
  GOOGLE_GENERATIVE_AI_API_KEY: z.string().trim().min(1).optional(),
  AZURE_API_KEY: z.string().trim().min(1).optional(),
  AZURE_RESOURCE_NAME: z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/, 'must be an Azure resource name (letters, digits, hyphens)').optional(),
});

/** The variables validated at start-up (README "Configuration" documents each: env-doc.test.ts). */
export const ENV_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

/** `{{secrets.NAME}}` fallbacks: ASSAY_SECRET_<NAME>. ASSAY_SECRET_KEY is the encryption key, never a secret. */
const ENV_SECRET_PREFIX = 'ASSAY_SECRET_';
const NOT_ENV_SECRETS = new Set(['ASSAY_SECRET_KEY']);
/** ASSAY_SECRET_ORIGINS_<NAME>: the origins ASSAY_SECRET_<NAME> is bound to (so no secret is named ORIGINS_…). */
const ENV_SECRET_ORIGINS_PREFIX = 'ASSAY_SECRET_ORIGINS_';

/** Variables whose values are never echoed in a configuration error (they may hold credentials). */
const SENSITIVE = /API_KEY|SECRET|TOKEN|PASSWORD|^DATABASE_URL$|^REDIS_URL$/;

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  dbSchema: string | undefined;
  redisUrl: string | undefined;
  /** ASSAY_REDIS_PREFIX: every Redis key and channel of the installation starts with `<redisPrefix>:`. */
  redisPrefix: string;
  /** ASSAY_ROLE as given (undefined: the command's default); see config/roles.ts. */
  role: 'api' | 'worker' | 'all' | undefined;
  /** ASSAY_WORKER_CONCURRENCY: cells in flight in this process across all runs; undefined = no such bound. */
  workerConcurrency: number | undefined;
  /** ASSAY_WORKER_PORT: `assay worker` answers /livez, /healthz, /readyz and /metrics here (HOST); undefined = no HTTP. */
  workerPort: number | undefined;
  apiKey: string | undefined;
  adminToken: string | undefined;
  /** Base of runUrl, without a trailing slash. */
  publicUrl: string;
  /** True when publicUrl was derived from PORT (so it follows the port actually bound). */
  publicUrlDerived: boolean;
  secretKey: string | undefined;
  maxBodyBytes: number;
  /** Largest CSV or JSON Lines dataset upload (read as a stream, so not bound by maxBodyBytes). */
  maxUploadBytes: number;
  /** Largest row, as bytes of its JSON, in an upload, run `data` or an experiment's inline rows. */
  maxRowBytes: number;
  /** Most rows in one upload or one run's inline `data`. */
  maxRows: number;
  /** Most cells (rows in scope × targets × repeats) one run may plan; more is refused before anything is stored. */
  maxCellsPerRun: number;
  /** Open SSE streams per API key in this process; 0 = no limit. */
  ssePerKey: number;
  /** Runs started per API key per `runRateWindowMs` in this process; 0 = no limit. */
  runRateLimit: number;
  /** The sliding window of `runRateLimit`, ms. */
  runRateWindowMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** ASSAY_ACCESS_LOG: a log line per request. */
  accessLog: boolean;
  shutdownTimeoutMs: number;
  httpTargetsAllowPrivate: boolean;
  /** Concurrent calls per limit key (HTTP origin) across all runs. */
  limitPerKey: number;
  /** Ceiling of concurrent calls per provider/model across all runs (adapts down on 429). */
  modelConcurrency: number;
  /** ASSAY_SANDBOX_MEMORY_MB: heap of all sandbox isolates alive at once, MB (the sandbox's memoryBudgetMb). */
  sandboxMemoryMb: number;
  /** Projects (slugs or ids) that may use the server's provider credentials and ASSAY_SECRET_* values. */
  sharedCredentialsProjects: 'all' | string[];
  /** Failed authentications per client address per minute before 429. */
  authFailuresPerMinute: number;
  /** ASSAY_TRUSTED_PROXIES: peers whose X-Forwarded-For names the client (http/client-address.ts). */
  trustedProxies: readonly string[];
  /** What a listener's clients may hold of it: connections in all and per address, header and body timeouts. */
  connections: ConnectionLimits;
  /** GET /metrics: on unless ASSAY_METRICS=false; `token` = ASSAY_METRICS_TOKEN. */
  metrics: { enabled: boolean; token: string | undefined };
  /** Traces exported over OTLP when an endpoint is set; `content` = ASSAY_TRACE_CONTENT. */
  tracing: { enabled: boolean; content: boolean };
  /** How long /readyz waits for the database, ms. */
  readyTimeoutMs: number;
  /** ASSAY_OPTIMIZE_HTTP_PARSER: V8 may optimize undici's HTTP/1 parser (default: baseline compiler only). */
  optimizeHttpParser: boolean;
  /** Provider settings from the environment, by provider name (openai, anthropic, google, azure). */
  providers: Record<string, ProviderSettings>;
  /** `{{secrets.NAME}}` values from ASSAY_SECRET_<NAME>; a project's stored secret of the same name wins. */
  envSecrets: Record<string, string>;
  /** Origins ASSAY_SECRET_<NAME> values are bound to (ASSAY_SECRET_ORIGINS_<NAME>), by name. */
  envSecretOrigins: Record<string, string[]>;
}

/** A bad environment; `problems` name each variable (or each way out, under another `heading`). */
export class ConfigError extends Error {
  constructor(readonly problems: string[], heading = 'Invalid configuration') {
    super(`${heading}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The variables the settings read (README's Configuration table lists them). */
export const SETTING_NAMES: readonly string[] = Object.keys(envSchema.shape);

/** Reads and validates the environment. Empty strings count as unset. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') raw[key] = value;
  }
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const name = String(i.path[0] ?? '');
        const hidden = SENSITIVE.test(name) || HAS_USERINFO.test(raw[name] ?? '');
        return hidden ? `${name} (value hidden): ${i.message}` : `${name}=${JSON.stringify(raw[name] ?? '')}: ${i.message}`;
      }),
    );
  }
  const e = parsed.data;
  const envSecretOrigins = secretOriginsFromEnv(env);
  if (envSecretOrigins.problems.length > 0) throw new ConfigError(envSecretOrigins.problems);
  const databaseUrl = e.DATABASE_URL?.startsWith('sqlite://') ? undefined : e.DATABASE_URL;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.ASSAY_DATA_DIR),
    databaseUrl,
    dbSchema: e.ASSAY_DB_SCHEMA,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.ASSAY_REDIS_PREFIX,
    role: e.ASSAY_ROLE,
    workerConcurrency: e.ASSAY_WORKER_CONCURRENCY,
    workerPort: e.ASSAY_WORKER_PORT,
    apiKey: e.ASSAY_API_KEY,
    adminToken: e.ASSAY_ADMIN_TOKEN,
    publicUrl: (e.ASSAY_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    publicUrlDerived: e.ASSAY_PUBLIC_URL === undefined,
    secretKey: e.ASSAY_SECRET_KEY,
    maxBodyBytes: e.ASSAY_MAX_BODY_BYTES,
    maxUploadBytes: e.ASSAY_MAX_UPLOAD_BYTES,
    maxRowBytes: e.ASSAY_MAX_ROW_BYTES,
    maxRows: e.ASSAY_MAX_ROWS,
    maxCellsPerRun: e.ASSAY_MAX_CELLS_PER_RUN,
    ssePerKey: e.ASSAY_SSE_MAX_PER_KEY,
    runRateLimit: e.ASSAY_RUN_RATE_LIMIT,
    runRateWindowMs: e.ASSAY_RUN_RATE_WINDOW_MS,
    logLevel: e.ASSAY_LOG_LEVEL,
    accessLog: e.ASSAY_ACCESS_LOG,
    shutdownTimeoutMs: e.ASSAY_SHUTDOWN_TIMEOUT_MS,
    httpTargetsAllowPrivate: e.ASSAY_HTTP_TARGETS_ALLOW_PRIVATE,
    limitPerKey: e.ASSAY_LIMIT_PER_KEY,
    modelConcurrency: e.ASSAY_MODEL_CONCURRENCY,
    sandboxMemoryMb: e.ASSAY_SANDBOX_MEMORY_MB,
    sharedCredentialsProjects: e.ASSAY_SHARED_CREDENTIALS_PROJECTS,
    authFailuresPerMinute: e.ASSAY_AUTH_FAILURES_PER_MINUTE,
    trustedProxies: e.ASSAY_TRUSTED_PROXIES,
    connections: connectionLimits({
      max: e.ASSAY_MAX_CONNECTIONS,
      perClient: e.ASSAY_MAX_CONNECTIONS_PER_CLIENT,
      trustedProxies: e.ASSAY_TRUSTED_PROXIES,
      keepAliveTimeoutMs: e.ASSAY_KEEP_ALIVE_TIMEOUT_MS,
      headersTimeoutMs: e.ASSAY_HEADERS_TIMEOUT_MS,
      bodyIdleMs: e.ASSAY_BODY_IDLE_TIMEOUT_MS,
      bodyMinBytesPerSecond: e.ASSAY_BODY_MIN_BYTES_PER_SECOND,
    }),
    metrics: { enabled: e.ASSAY_METRICS, token: e.ASSAY_METRICS_TOKEN },
    tracing: {
      // OTEL_TRACES_EXPORTER=none is the SDK's own way to say "no traces".
      enabled: (e.OTEL_EXPORTER_OTLP_ENDPOINT ?? e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) !== undefined && !e.OTEL_SDK_DISABLED && e.OTEL_TRACES_EXPORTER !== 'none',
      content: e.ASSAY_TRACE_CONTENT,
    },
    readyTimeoutMs: e.ASSAY_READY_TIMEOUT_MS,
    optimizeHttpParser: e.ASSAY_OPTIMIZE_HTTP_PARSER,
    providers: providersFromEnv(e),
    envSecrets: secretsFromEnv(env),
    envSecretOrigins: envSecretOrigins.origins,
  };
}

type ParsedEnv = z.output<typeof envSchema>;

/** The providers the environment configures; a provider appears when any of its variables is set. */
function providersFromEnv(e: ParsedEnv): Record<string, ProviderSettings> {
  const out: Record<string, ProviderSettings> = {};
  const add = (name: string, settings: ProviderSettings) => {
    const defined = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as ProviderSettings;
    if (Object.keys(defined).length > 0) out[name] = defined;
  };
  add('openai', { apiKey: e.OPENAI_API_KEY, baseUrl: e.OPENAI_BASE_URL });
  add('anthropic', { apiKey: e.ANTHROPIC_API_KEY, baseUrl: e.ANTHROPIC_BASE_URL });
  add('google', { apiKey: e.GOOGLE_GENERATIVE_AI_API_KEY });
  // The AI SDK's Azure provider builds its URL from the resource name the same way.
  add('azure', { apiKey: e.AZURE_API_KEY, baseUrl: e.AZURE_RESOURCE_NAME && `https://${e.AZURE_RESOURCE_NAME}.openai.azure.com/openai` });
  return out;
}

/** ASSAY_SECRET_<NAME> variables (empty ones count as unset), as own properties only. */
function secretsFromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const entries: [string, string][] = [];
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith(ENV_SECRET_PREFIX) || NOT_ENV_SECRETS.has(k) || k.startsWith(ENV_SECRET_ORIGINS_PREFIX) || k.length === ENV_SECRET_PREFIX.length) continue;
    if (v !== undefined && v !== '') entries.push([k.slice(ENV_SECRET_PREFIX.length), v]);
  }
  return Object.fromEntries(entries);
}

/** ASSAY_SECRET_ORIGINS_<NAME>=https://a.example,https://b.example:8443 → origins by name (normalised), or the problems. */
function secretOriginsFromEnv(env: NodeJS.ProcessEnv): { origins: Record<string, string[]>; problems: string[] } {
  const entries: [string, string[]][] = [];
  const problems: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith(ENV_SECRET_ORIGINS_PREFIX) || v === undefined || v.trim() === '') continue;
    const origins: string[] = [];
    for (const item of v.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
      const url = URL.canParse(item) ? new URL(item) : null;
      const originOnly = url !== null && /^https?:$/.test(url.protocol) && url.username === '' && url.password === '' && url.pathname === '/' && url.search === '' && url.hash === '';
      if (!originOnly) {
        problems.push(`${k}: ${JSON.stringify(item)} is not an origin (scheme://host[:port], no path)`);
        continue;
      }
      origins.push(url.origin);
    }
    if (origins.length > 0) entries.push([k.slice(ENV_SECRET_ORIGINS_PREFIX.length), [...new Set(origins)].sort()]);
  }
  return { origins: Object.fromEntries(entries), problems };
}
