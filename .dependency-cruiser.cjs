// Import boundaries for src/, as drawn in STYLE.md ("The house"): arrows point inwards —
// http, cli → app → core; storage, queue, cluster (limits shared through Redis), targets,
// evaluators, models, sandbox implement core ports and never import app or http; src/net (the
// outbound network) serves the adapters; only config/ (the composition root) and cli/ know
// concrete adapters.
// Tests (*.test.ts) and src/testing/ may import anything. Run: `npm run lint`.

/** Test code: exempt from the layer rules (but not from no-circular / not-to-unresolvable). */
const TESTS = '(^src/testing/|\\.test\\.ts$)';

/** The adapter folders that implement core ports. */
const ADAPTERS = '^src/(storage|queue|cluster|targets|evaluators|models|sandbox)/';

/** npm packages core may use: pure, I/O-free libraries. */
const CORE_PACKAGES = ['zod', 'ulidx', 'secure-json-parse', 'slugify', '@stdlib/stats-wilcoxon', '@stdlib/stats-binomial-test', '@stdlib/stats-base-dists-t-quantile', '@stdlib/stats-base-dists-normal-cdf'];

/** Node built-ins that do I/O (matched with or without the `node:` prefix, and subpaths). */
const IO_BUILTINS = [
  'fs',
  'net',
  'http',
  'https',
  'child_process',
  'dgram',
  'dns',
  'tls',
  'worker_threads',
  'cluster',
];

/** Packages that are infrastructure (db, queue, HTTP server, logging). */
const IO_PACKAGES = ['kysely', 'better-sqlite3', 'pg', 'ioredis', 'bullmq', 'hono', '@hono/[^/]+', 'pino'];

const npm = (names) => `(^|/)node_modules/(@types/)?(${names.join('|')})(/|$)`;
/** A bare specifier that did not resolve (package not installed) still counts. */
const bare = (names) => `^(${names.join('|')})(/|$)`;

const IO_BUILTIN_PATH = `^(node:)?(${IO_BUILTINS.join('|')})(/|$)`;
const IO_PACKAGE_PATH = `${npm(IO_PACKAGES)}|${bare(IO_PACKAGES)}`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    // ---- core: the domain and the engine, no I/O -------------------------------------------
    {
      name: 'core-no-io',
      comment:
        'src/core has no I/O: no fs/net/http/child_process/… built-ins and no db, queue, HTTP ' +
        'server or logger packages. Talk to a port in src/core/ports.ts instead.',
      severity: 'error',
      from: { path: '^src/core/', pathNot: TESTS },
      to: { path: [IO_BUILTIN_PATH, IO_PACKAGE_PATH] },
    },
    {
      name: 'core-only-core',
      comment:
        `src/core may import only src/core and the pure packages ${CORE_PACKAGES.join(', ')}. ` +
        'Anything else belongs in an adapter or app/.',
      severity: 'error',
      from: { path: '^src/core/', pathNot: TESTS },
      to: {
        pathNot: [
          '^src/core/',
          npm(CORE_PACKAGES),
          // reported (more precisely) by core-no-io
          IO_BUILTIN_PATH,
          IO_PACKAGE_PATH,
        ],
      },
    },

    // ---- adapters implement core ports; they never reach outwards ----------------------------
    {
      name: 'adapters-not-to-outer-layers',
      comment:
        'storage, queue, targets, evaluators, models and sandbox implement core ports and must ' +
        'not import app, http, cli or config.',
      severity: 'error',
      from: { path: ADAPTERS, pathNot: TESTS },
      to: { path: '^src/(app|http|cli|config)/' },
    },
    {
      name: 'adapters-only-from-composition-root',
      comment:
        'Only src/config (the composition root) and src/cli may import the concrete adapters ' +
        '(storage, queue, targets, evaluators, models, sandbox); everything else goes through core ports.',
      severity: 'error',
      from: { pathNot: [TESTS, '^src/(config|cli)/', ADAPTERS] },
      to: { path: ADAPTERS },
    },
    {
      name: 'adapters-not-to-other-adapters',
      comment:
        'An adapter folder must not import another adapter folder; share through core ports ' +
        'and let src/config wire them together.',
      severity: 'error',
      from: { path: ADAPTERS, pathNot: TESTS },
      to: { path: ADAPTERS, pathNot: '^src/$1/' },
    },

    // ---- net: the outbound network (agents, network guard, lean fetch) shared by adapters ----
    {
      name: 'net-only-core',
      comment:
        'src/net is the one way out to the network (undici agents, the SSRF guard, the lean ' +
        'fetch) that targets, models and webhooks share: it may import only src/core and npm ' +
        'packages, so every adapter can use it without reaching another adapter.',
      severity: 'error',
      from: { path: '^src/net/', pathNot: TESTS },
      to: { path: '^src/', pathNot: ['^src/(core|net)/'] },
    },

    // ---- observability: metrics, traces and run logs, wired by the composition root ----------
    {
      name: 'observability-only-core',
      comment:
        'src/observability implements the observation ports of src/core/observe.ts (and wraps ' +
        'target factories and the evaluator catalogue by their core types): it may import only ' +
        'src/core and npm packages, and only src/config wires it in.',
      severity: 'error',
      from: { path: '^src/observability/', pathNot: TESTS },
      to: { path: '^src/', pathNot: ['^src/(core|observability)/'] },
    },
    {
      name: 'observability-only-from-composition-root',
      comment: 'Only src/config wires the observability modules; the rest sees the core/observe.ts ports.',
      severity: 'error',
      from: { path: '^src/', pathNot: [TESTS, '^src/(config|observability)/'] },
      to: { path: '^src/observability/' },
    },

    // ---- app: use cases; adapters arrive through ports ---------------------------------------
    {
      name: 'app-not-to-outer-layers-or-adapters',
      comment:
        'src/app holds the use cases: it must not import http, cli, config, storage or queue; ' +
        'it receives adapters through core ports wired in src/config.',
      severity: 'error',
      from: { path: '^src/app/', pathNot: TESTS },
      to: { path: '^src/(http|cli|config|storage|queue|cluster)/' },
    },

    // ---- http: thin routes over app -----------------------------------------------------------
    {
      name: 'http-not-to-cli-config-storage',
      comment: 'src/http calls app use cases; it must not import cli, config or storage.',
      severity: 'error',
      from: { path: '^src/http/', pathNot: TESTS },
      to: { path: '^src/(cli|config|storage)/' },
    },

    // ---- client: shared with the web page ------------------------------------------------------
    {
      name: 'client-only-core',
      comment:
        'src/client (also bundled into the web page) may import only src/core and npm ' +
        'packages — no other src/ folder and no Node built-ins.',
      severity: 'error',
      from: { path: '^src/client/', pathNot: TESTS },
      to: {
        pathNot: ['^src/(core|client)/', '(^|/)node_modules/'],
      },
    },

    // ---- web: the run page ---------------------------------------------------------------------
    {
      name: 'web-only-client-and-core',
      comment:
        'The web page (web/src) runs in the browser: besides its own files and npm packages it ' +
        'may import only src/client (the typed client) and src/core (the shared schemas).',
      severity: 'error',
      from: { path: '^web/src/' },
      to: { pathNot: ['^web/src/', '^src/(core|client)/', '(^|/)node_modules/'] },
    },
    {
      name: 'server-not-to-web',
      comment: 'The server serves web/dist as files; no server code imports the page.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^web/' },
    },

    // ---- whole-graph hygiene -------------------------------------------------------------------
    {
      name: 'no-circular',
      comment: 'Circular imports are not allowed anywhere in src/ (type-only ones included).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment:
        'The import does not resolve to a file. Besides being a bug, an unresolved import ' +
        'would silently slip past every boundary rule above.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-non-package-json',
      comment:
        "Imports an npm package that is not in package.json (only present transitively); add it " +
        'to dependencies.',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'not-to-dev-dep',
      comment:
        'Shipped code (everything the build compiles: src/ minus tests and src/testing) must ' +
        'not import devDependencies; they are absent in a production install. Type-only ' +
        'imports are erased and so allowed.',
      severity: 'error',
      from: { path: '^src/', pathNot: TESTS },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],

  options: {
    doNotFollow: { path: 'node_modules' },
    // Resolve `./x.js` specifiers (NodeNext style) to the `./x.ts` sources.
    tsConfig: { fileName: './tsconfig.json' },
    // Keep type-only imports in the graph: a layer must not lean on another's types either.
    tsPreCompilationDeps: true,
    // No `extensionAlias` here: dependency-cruiser 17 (the last line that runs on Node 20)
    // rejects it in its config schema, and does the same thing itself — an unresolvable `x.js`
    // is retried as `x.ts`/`x.tsx`/`x.d.ts`, the way tsc does. not-to-unresolvable below
    // fails the lint if that ever stops working.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
