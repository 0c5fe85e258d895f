// The credential formats that secretlint 11's recommended preset has no rule for, as one more
// secretlint rule next to the preset's (docs/secrets-detection.md lists what each side finds
// and why each pattern is here). secretlint 13's preset adds GitLab and Stripe rules; with it,
// those two patterns can go. Every pattern is linear: bounded repetitions, a look-behind that
// keeps a match from starting inside a longer token, and no nested quantifiers.

/** A secretlint rule, in the shape @secretlint/core's config takes (the types package is not a dependency). */
export interface SecretRule {
  messages: Record<string, { en: (props: Record<string, string>) => string }>;
  meta: { id: string; type: 'scanner'; recommended: boolean; supportedContentTypes: ['text'] };
  create(context: {
    createTranslator(messages: SecretRule['messages']): (id: string, props: Record<string, string>) => unknown;
    report(descriptor: { message: never; range: readonly [number, number] }): void;
  }): { file(source: { content: string }): void };
}

interface Format {
  id: string;
  /** What the match is, for the message (which secretlint masks; details never show it). */
  what: string;
  pattern: RegExp;
  /**
   * Group 1 when present, else the whole match, must pass `accept` to count (`match` is the
   * whole match, found at `index` of `content`).
   */
  accept?: (value: string, match: string, content: string, index: number) => boolean;
}

/**
 * Documentation samples reported by nobody on purpose (docs/secrets-detection.md): jwt.io's
 * example token signature and Stripe's documented test key. Split so that this file is not
 * itself flagged by a repository's secret scanning.
 */
const DOCUMENTED_SAMPLES = new Set(['SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV' + '_adQssw5c', 'sk_test_' + '4eC39HqLyjWDarjtT1zdp7dc']);

/** Values that stand for a secret rather than being one: masks, x-runs, ellipses, "your-…", templates. */
export function isPlaceholder(value: string): boolean {
  return /x{5,}|\*{3,}|\.{3}|…|your[-_]|<[^>]*>|\$\{|\{\{|%[A-Z_]+%|EXAMPLE|changeme|^(.)\1+$/i.test(value) || DOCUMENTED_SAMPLES.has(value);
}

/** At least two of lower case, upper case, digits and symbols: a word alone is not a password. */
function mixed(value: string): boolean {
  return [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((r) => r.test(value)).length >= 2;
}

/** A variable, not a literal: `hashedPassword`, `user.password`, `self._pw` (identifiers, dotted). */
const IDENTIFIER = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/;

/**
 * A password value counts when it mixes character classes and is not a placeholder or a path
 * (`PWD=/home/runner/work`). Unquoted, identifier-shaped values are code (`password: user.password`)
 * or words (`Password: Required`) unless they mix lower case, upper case and digits.
 */
function passwordValue(value: string, match: string): boolean {
  if (!mixed(value) || isPlaceholder(value) || /^(?:\/|~\/|\.\.?\/)/.test(value)) return false;
  const quoted = /["']$/.test(match.slice(0, match.length - value.length));
  if (quoted || !IDENTIFIER.test(value)) return true;
  return !value.includes('.') && /[a-z]/.test(value) && /[A-Z]/.test(value) && /\d/.test(value);
}

/** A JWT counts only when its header decodes to JSON that names an algorithm. */
function jwtHeader(token: string): boolean {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && 'alg' in header;
  } catch {
    return false;
  }
}

const NOT_TOKEN_BEFORE = '(?<![A-Za-z0-9_-])';
const NOT_TOKEN_AFTER = '(?![A-Za-z0-9_-])';

const FORMATS: Format[] = [
  {
    id: 'GITLAB_TOKEN', what: 'GitLab token',
    // Personal, deploy, runner, pipeline-trigger, feed, incoming-mail, CI-build, SCIM, OAuth-app and agent tokens.
    pattern: new RegExp(`${NOT_TOKEN_BEFORE}gl(?:pat|dt|rt|ptt|ft|imt|cbt|soat|oas|agent)-[A-Za-z0-9_-]{20,200}(?:\\.[A-Za-z0-9]{2}\\.[A-Za-z0-9]{9,40})?${NOT_TOKEN_AFTER}`, 'g'),
  },
  {
    id: 'STRIPE_KEY', what: 'Stripe secret or restricted key',
    pattern: new RegExp(`${NOT_TOKEN_BEFORE}(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{24,247}${NOT_TOKEN_AFTER}`, 'g'),
  },
  {
    id: 'STRIPE_WEBHOOK_SECRET', what: 'Stripe webhook signing secret',
    pattern: new RegExp(`${NOT_TOKEN_BEFORE}whsec_[A-Za-z0-9]{32,128}${NOT_TOKEN_AFTER}`, 'g'),
  },
  {
    id: 'GOOGLE_API_KEY', what: 'Google API key',
    pattern: new RegExp(`${NOT_TOKEN_BEFORE}AIza[A-Za-z0-9_-]{35}${NOT_TOKEN_AFTER}`, 'g'),
  },
  {
    id: 'AZURE_STORAGE_KEY', what: 'Azure storage account key',
    pattern: /AccountKey=([A-Za-z0-9+/]{86}==)/g,
  },
  {
    id: 'AZURE_CLIENT_SECRET', what: 'Azure AD (Entra) client secret',
    // Three characters, a digit, "Q~", then 31 to 34: the format of secrets issued since 2021.
    pattern: /(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])/g,
  },
  {
    id: 'AZURE_SAS_TOKEN', what: 'Azure shared access signature',
    // A signature whose URL (the 2,000 characters before it, back to a space or quote) carries
    // a signed version `sv=YYYY-MM-DD`. Found from the signature, not from `sv=`: a scan forward
    // from each `sv=` over the parameters cost 2.4 ms on 50,000 characters of `&sv=…`.
    pattern: /[?&]sig=([A-Za-z0-9%+/]{40,120})/g,
    accept: (_value, _match, content, index) => {
      const before = content.slice(Math.max(0, index - 2000), index);
      const url = before.slice(Math.max(before.lastIndexOf(' '), before.lastIndexOf('\n'), before.lastIndexOf('"'), before.lastIndexOf("'")) + 1);
      return /[?&]sv=\d{4}-\d\d-\d\d(?:&|$)/.test(url);
    },
  },
  {
    id: 'SHORT_PRIVATE_KEY', what: 'PEM private key of fewer than 128 bytes (EC P-256, Ed25519)',
    // secretlint's private-key rule wants a body of 100+ characters that starts "MI" (a DER
    // length of 128 bytes or more), so the most common EC key (P-256, "MHcC…") and every
    // Ed25519 key ("MC4C…", 64 characters) pass it. These start "M" then A–H (shorter lengths).
    pattern: /-----BEGIN (?:EC )?PRIVATE KEY-----(?:\r?\n|\\n)(M[A-H][A-Za-z0-9+/=\r\n\\]{40,240})-----END (?:EC )?PRIVATE KEY-----/g,
    accept: (body) => /^[A-Za-z0-9+/]{60,172}={0,2}$/.test(body.replace(/\s|\\n/g, '')),
  },
  {
    id: 'JWT', what: 'JSON Web Token',
    pattern: new RegExp(`${NOT_TOKEN_BEFORE}eyJ[A-Za-z0-9_-]{10,2000}\\.eyJ[A-Za-z0-9_-]{2,8000}\\.[A-Za-z0-9_-]{20,1000}${NOT_TOKEN_AFTER}`, 'g'),
    accept: (token) => jwtHeader(token) && !DOCUMENTED_SAMPLES.has(token.slice(token.lastIndexOf('.') + 1)),
  },
  {
    id: 'URL_CREDENTIALS', what: 'password in a Redis, AMQP or SQL Server URL',
    // secretlint covers http(s), ftp, PostgreSQL, MySQL and MongoDB URLs.
    pattern: /\b(?:rediss?|amqps?|mssql|sqlserver|clickhouse):\/\/[^\s:@/]{0,100}:([^\s@/]{4,200})@/gi,
    accept: (password) => !isPlaceholder(password) && !/^(?:password|pass|secret)$/i.test(password),
  },
  {
    id: 'PASSWORD_ASSIGNMENT', what: 'password assigned a literal value',
    // password = …, DB_PASSWORD=…, "password": "…", passwd: … (a name ending in password,
    // passwd, pwd or pass); the value ends at a quote, space or separator, and reads nothing
    // from code or templates (no brackets, $, braces). The value is taken whole (a look-ahead
    // capture, then a back-reference: no backtracking through it, 5× cheaper on hostile text).
    pattern: /(?<![A-Za-z0-9])(?:[A-Za-z0-9]{0,40}[_.-])?(?:password|passwd|passphrase|pwd|pass)["']?[ \t]{0,10}[:=][ \t]{0,10}["']?(?=([^\s"'`,;()[\]{}<>$]{8,128}))\1(?=["'`,;]|\s|$)/gi,
    accept: passwordValue,
  },
];

const messages: SecretRule['messages'] = Object.fromEntries(FORMATS.map((f) => [f.id, { en: () => `found ${f.what}` }]));

/** The rule: each format's matches that pass its check are reported with their range. */
export const secretFormatsRule: SecretRule = {
  messages,
  meta: { id: 'assay/secret-formats', type: 'scanner', recommended: true, supportedContentTypes: ['text'] },
  create(context) {
    const t = context.createTranslator(messages);
    return {
      file(source) {
        for (const format of FORMATS) {
          for (const match of source.content.matchAll(format.pattern)) {
            const value = match[1] ?? match[0];
            if (isPlaceholder(value) || (format.accept && !format.accept(value, match[0], source.content, match.index))) continue;
            context.report({ message: t(format.id, {}) as never, range: [match.index, match.index + match[0].length] });
          }
        }
      },
    };
  },
};
