// A labelled corpus for secrets detection (src/evaluators/secrets-detection.corpus.test.ts):
// texts that hold a credential (`positive`) and texts that must pass (`negative`). Every secret
// is fake: its random part comes from a seeded generator and it is assembled at run time, so
// this file holds no string that a repository's secret scanner would flag. Private keys are
// generated here by node:crypto (small and fast: EC and RSA-1024), so they are real syntax and
// belong to nobody.
import { generateKeyPairSync } from 'node:crypto';

/** One labelled text; `format` names what a positive holds (or why a negative must pass). */
export interface CorpusCase {
  format: string;
  text: string;
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const ALNUM = UPPER + LOWER + DIGITS;
const HEX = '0123456789abcdef';
const BASE64 = ALNUM + '+/';
const URLSAFE = ALNUM + '-_';

/** Deterministic filler (a 32-bit LCG per seed): the same corpus on every run. */
function fill(n: number, alphabet: string, seed: number): string {
  let state = (seed * 2_654_435_761) >>> 0;
  let out = '';
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    out += alphabet[(state >>> 8) % alphabet.length];
  }
  return out;
}

const b64url = (text: string) => Buffer.from(text).toString('base64url');
const j = (...parts: string[]) => parts.join('');

/** A PEM block of `kind` whose body is `prefix` then seeded base64, in lines of 64. */
function pem(kind: string, seed: number, lines = 6, prefix = ''): string {
  const body = (prefix + fill(lines * 64 - prefix.length, BASE64, seed)).replace(/(.{64})/g, '$1\n').trim();
  return j('-----BEGIN ', kind, '-----\n', body, '\n-----END ', kind, '-----');
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsaPkcs1 = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const rsaPkcs8 = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const ecSec1 = ec.privateKey.export({ type: 'sec1', format: 'pem' }).toString();
const ecPublic = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const ed25519 = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
/** OpenSSH's own container ("openssh-key-v1", then the key): node cannot write it, so the body after the magic is filler. */
const openssh = pem('OPENSSH PRIVATE KEY', 52, 6, 'b3BlbnNzaC1rZXktdjEAAAAA');

const jwt = (seed: number, claims: object) =>
  [b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' })), b64url(JSON.stringify(claims)), fill(43, URLSAFE, seed)].join('.');

// The fake values, named so positives can reuse them in several contexts.
const awsId = j('AK', 'IA', 'FAKE', fill(12, UPPER + DIGITS, 1));
const awsSessionId = j('AS', 'IA', 'TEST', fill(12, UPPER + DIGITS, 2));
const awsSecret = fill(40, BASE64, 3);
const openaiProject = j('sk-', 'proj-', fill(74, URLSAFE, 4), 'T3Blbk', 'FJ', fill(74, URLSAFE, 5));
const openaiService = j('sk-', 'svcacct-', fill(74, URLSAFE, 6), 'T3Blbk', 'FJ', fill(74, URLSAFE, 7));
const openaiAdmin = j('sk-', 'admin-', fill(58, URLSAFE, 8), 'T3Blbk', 'FJ', fill(58, URLSAFE, 9));
const openaiLegacy = j('sk-', fill(20, ALNUM, 10), 'T3Blbk', 'FJ', fill(20, ALNUM, 11));
const anthropic = j('sk-', 'ant-', 'api03-', fill(93, URLSAFE, 12), 'AA');
const googleKey = j('AI', 'za', 'Sy', fill(33, URLSAFE, 13));
const stripeLive = j('sk', '_live_', fill(24, ALNUM, 14));
const stripeRestricted = j('rk', '_live_', fill(99, ALNUM, 15));
const stripeTest = j('sk', '_test_', fill(48, ALNUM, 16));
const stripeWebhook = j('wh', 'sec_', fill(32, ALNUM, 17));
const gitlabPat = j('gl', 'pat-', fill(20, URLSAFE, 18));
const gitlabRunner = j('gl', 'rt-', fill(20, URLSAFE, 19));
const gitlabDeploy = j('gl', 'dt-', fill(20, URLSAFE, 20));
const githubClassic = j('gh', 'p_', fill(36, ALNUM, 21));
const githubOauth = j('gh', 'o_', fill(36, ALNUM, 22));
const githubApp = j('gh', 's_', fill(36, ALNUM, 23));
const githubFine = j('github', '_pat_', fill(22, ALNUM, 24), '_', fill(59, ALNUM, 25));
const slackBot = j('xo', 'xb-', fill(12, DIGITS, 26), '-', fill(13, DIGITS, 27), '-', fill(24, ALNUM, 28));
const slackUser = j('xo', 'xp-', fill(12, DIGITS, 29), '-', fill(12, DIGITS, 30), '-', fill(13, DIGITS, 31), '-', fill(32, HEX, 32));
const slackHook = j('https://hooks.', 'slack.com/services/T', fill(10, UPPER + DIGITS, 33), '/B', fill(10, UPPER + DIGITS, 34), '/', fill(24, ALNUM, 35));
const azureStorageKey = j(fill(86, BASE64, 36), '==');
const azureClientSecret = j(fill(3, ALNUM, 37), '8Q~', fill(34, ALNUM + '_~.-', 38));
const azureSasSig = j(fill(43, ALNUM, 39), '%3D');
const npmToken = j('np', 'm_', fill(36, ALNUM, 40));
const sendgrid = j('S', 'G.', fill(22, ALNUM, 41), '.', fill(43, ALNUM, 42));
const dbPassword = j('Pw', fill(10, ALNUM, 43), '7!');
/** secretlint's basic-auth rule reads URL passwords of letters, digits, - and _ (others are percent-encoded). */
const urlPassword = j('Pw', fill(14, ALNUM, 44));

export const positives: CorpusCase[] = [
  // AWS
  { format: 'AWS access key id, bare', text: `The CI user's key id is ${awsId}, rotate it.` },
  { format: 'AWS access key id, ini', text: `[default]\naws_access_key_id = ${awsId}\nregion = eu-west-1` },
  { format: 'AWS session key id, env', text: `export AWS_ACCESS_KEY_ID=${awsSessionId}` },
  { format: 'AWS access key id, JSON', text: `{"AccessKey": {"UserName": "ci", "AccessKeyId": "${awsId}", "Status": "Active"}}` },
  { format: 'AWS secret access key, ini', text: `[default]\naws_secret_access_key = ${awsSecret}` },
  { format: 'AWS secret access key, env', text: `AWS_SECRET_ACCESS_KEY="${awsSecret}"` },
  { format: 'AWS secret access key, JSON', text: `{"AccessKeyId": "${awsSessionId}", "SecretAccessKey": "${awsSecret}"}` },
  // GitHub
  { format: 'GitHub classic token', text: `Use ${githubClassic} for the API.` },
  { format: 'GitHub OAuth token', text: `token: ${githubOauth}` },
  { format: 'GitHub app token in a clone URL', text: `git clone https://x-access-token:${githubApp}@github.com/acme/app.git` },
  { format: 'GitHub fine-grained token', text: `GH_TOKEN=${githubFine}` },
  // GitLab
  { format: 'GitLab personal access token', text: `Here is my token ${gitlabPat} for the registry.` },
  { format: 'GitLab personal access token, env', text: `export GITLAB_TOKEN=${gitlabPat}` },
  { format: 'GitLab runner token', text: `gitlab-runner register --token ${gitlabRunner}` },
  { format: 'GitLab deploy token', text: `password: ${gitlabDeploy}` },
  // Slack
  { format: 'Slack bot token', text: `SLACK_BOT_TOKEN=${slackBot}` },
  { format: 'Slack user token', text: `The user token is ${slackUser}.` },
  { format: 'Slack incoming webhook', text: `curl -X POST ${slackHook} -d '{"text":"hi"}'` },
  // Stripe
  { format: 'Stripe live secret key', text: `stripe.api_key = "${stripeLive}"` },
  { format: 'Stripe restricted key', text: `Restricted key: ${stripeRestricted}` },
  { format: 'Stripe test secret key', text: `STRIPE_SECRET_KEY=${stripeTest}` },
  { format: 'Stripe webhook signing secret', text: `endpoint_secret = '${stripeWebhook}'` },
  // OpenAI
  { format: 'OpenAI project key', text: `OPENAI_API_KEY=${openaiProject}` },
  { format: 'OpenAI project key in prose', text: `Sure! Your key is ${openaiProject} — keep it safe.` },
  { format: 'OpenAI service account key', text: `client = OpenAI(api_key="${openaiService}")` },
  { format: 'OpenAI admin key', text: `admin key ${openaiAdmin}` },
  { format: 'OpenAI legacy user key', text: `openai.api_key = '${openaiLegacy}'` },
  // Anthropic
  { format: 'Anthropic API key', text: `ANTHROPIC_API_KEY=${anthropic}` },
  { format: 'Anthropic API key in a header', text: `curl https://api.anthropic.com/v1/messages -H "x-api-key: ${anthropic}"` },
  // Google
  { format: 'Google API key', text: `https://maps.googleapis.com/maps/api/geocode/json?address=Paris&key=${googleKey}` },
  { format: 'Google API key, env', text: `GOOGLE_API_KEY=${googleKey}` },
  {
    format: 'GCP service account JSON',
    text: JSON.stringify({ type: 'service_account', project_id: 'demo', private_key_id: fill(40, HEX, 44), private_key: rsaPkcs8, client_email: 'ci@demo.iam.gserviceaccount.com' }, null, 2),
  },
  // Azure
  { format: 'Azure storage connection string', text: `DefaultEndpointsProtocol=https;AccountName=acmestore;AccountKey=${azureStorageKey};EndpointSuffix=core.windows.net` },
  { format: 'Azure AD client secret', text: `AZURE_CLIENT_SECRET=${azureClientSecret}` },
  { format: 'Azure SAS token', text: `https://acmestore.blob.core.windows.net/backups?sv=2022-11-02&ss=b&srt=co&sp=rl&se=2030-01-01T00:00:00Z&sig=${azureSasSig}` },
  // Private keys
  { format: 'RSA private key', text: `Here is the key:\n${rsaPkcs1}` },
  { format: 'OpenSSH private key', text: openssh },
  { format: 'EC private key', text: ecSec1 },
  { format: 'Ed25519 private key, JSON-escaped', text: JSON.stringify({ signing_key: ed25519 }) },
  { format: 'PKCS#8 private key', text: `const key = \`${rsaPkcs8}\`;` },
  // JWTs
  { format: 'JWT', text: `token=${jwt(67, { sub: 'user-42', role: 'admin', exp: 4_102_444_800 })}` },
  { format: 'JWT as a bearer token', text: `Authorization: Bearer ${jwt(68, { sub: 'svc', iat: 1_700_000_000 })}` },
  // Database URLs and URLs with credentials
  { format: 'PostgreSQL URL with a password', text: `DATABASE_URL=postgres://app:${dbPassword}@db.internal:5432/prod` },
  { format: 'MySQL URL with a password', text: `mysql://billing:${dbPassword}@10.0.0.5:3306/billing` },
  { format: 'MongoDB URL with a password', text: `mongodb+srv://reporting:${dbPassword}@cluster0.abcde.mongodb.net/app?retryWrites=true` },
  { format: 'Redis URL with a password', text: `REDIS_URL=redis://default:${dbPassword}@cache.internal:6379/0` },
  { format: 'HTTP basic auth in a URL', text: `https://deploy:${urlPassword}@registry.acme.io/v2/` },
  // Password assignments
  { format: 'password assignment, quoted', text: `password = "Tr0ub4dor&3x"` },
  { format: 'password assignment, env', text: `DB_PASSWORD=correct-Horse-71` },
  { format: 'password assignment, JSON', text: `{"username": "ops", "password": "p@ssW0rd!2024"}` },
  { format: 'password assignment, YAML', text: `database:\n  user: ops\n  passwd: S3cure!Pass9` },
  { format: 'password assignment, identifier-shaped', text: `DB_PASS=Summer2024Winter` },
  // Other tokens
  { format: 'npm access token', text: `//registry.npmjs.org/:_authToken=${npmToken}` },
  { format: 'SendGrid API key', text: `SENDGRID_API_KEY=${sendgrid}` },
];

/** A base64 PNG of seeded bytes (not a valid image; only its text matters). */
const dataImage = `data:image/png;base64,iVBORw0KGgo${fill(4_000, BASE64, 70)}==`;

export const negatives: CorpusCase[] = [
  // Hashes and identifiers
  { format: 'sha1 hex', text: `sha1: ${fill(40, HEX, 71)}` },
  { format: 'sha256 hex', text: `SHA256 (release.tar.gz) = ${fill(64, HEX, 72)}` },
  { format: 'container digest', text: `image: ghcr.io/acme/app@sha256:${fill(64, HEX, 73)}` },
  { format: 'git commit in prose', text: `Fixed in commit ${fill(40, HEX, 74)} (see also ${fill(7, HEX, 75)}).` },
  { format: 'md5 hex', text: `md5sum: ${fill(32, HEX, 76)}  file.bin` },
  { format: 'UUID', text: 'Request id 3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b failed.' },
  { format: 'UUIDs in JSON', text: '{"id": "0b7e2a9c-5d41-4c3a-9e8f-7a6b5c4d3e2f", "parent": "a1b2c3d4-e5f6-4789-abcd-ef0123456789"}' },
  { format: 'ULID and nanoid', text: 'run_01JD3ZK8Q4M7N2P5R8T1V4W7XY and V1StGXR8_Z5jdHi6B-myT' },
  { format: 'base64 image', text: dataImage },
  { format: 'base64 image in markdown', text: `![chart](data:image/jpeg;base64,/9j/4AAQSkZJRg${fill(3_000, BASE64, 77)})` },
  { format: 'base64 of ordinary text', text: Buffer.from('The quick brown fox jumps over the lazy dog. '.repeat(20)).toString('base64') },
  // Prose with numbers
  { format: 'prose with numbers', text: 'The population was 8,336,817 in 2019 and the budget $1.7 trillion, up 4.2%.' },
  { format: 'order and phone numbers', text: 'Order 1234-5678-9012 shipped; call 555-0123 between 9 and 5, ticket #48213.' },
  { format: 'bank account in prose', text: 'Your account: 1234-5678-9012 was credited.' },
  { format: 'versions and addresses', text: 'Upgrade to v2.14.3 on 10.0.0.12 (MAC 00:1a:2b:3c:4d:5e), port 5432.' },
  { format: 'test card number', text: 'Use the test card 4242 4242 4242 4242 with any future date.' },
  { format: 'prose about passwords', text: 'Set the password field to at least 12 characters, and never share your token.' },
  { format: 'password rules', text: 'Password: must contain a digit. Token: expires after 24 hours.' },
  { format: 'prose about keys', text: 'The secret ingredient is love; the key to success is practice.' },
  { format: 'CSS colours', text: 'color: #1a2b3c; background: #fafafa; border-color: #00ff7f;' },
  { format: 'code with numbers', text: 'const MAX_RETRIES = 5;\nconst TIMEOUT_MS = 120000;\nfor (let i = 0; i < 10; i++) total += i * 31;' },
  // Placeholders
  { format: 'placeholder sk-...', text: 'Set OPENAI_API_KEY=sk-... in your shell.' },
  { format: 'placeholder sk-proj-...', text: 'export OPENAI_API_KEY="sk-proj-..."' },
  { format: 'placeholder in angle brackets', text: 'ANTHROPIC_API_KEY=<your-anthropic-key>' },
  { format: 'placeholder YOUR_API_KEY', text: 'api_key = "YOUR_API_KEY"' },
  { format: 'masked password', text: 'password = "********"' },
  { format: 'password from the environment', text: 'password = os.environ["DB_PASSWORD"]' },
  { format: 'password from a variable', text: 'password: $' + '{DB_PASSWORD}' },
  { format: 'password from a template', text: 'password: "{{ vault_db_password }}"' },
  { format: 'password from a variable in code', text: 'await db.users.insert({ email, password: hashedPassword });\nif (password: user.password) {}' },
  { format: 'password read from a prompt', text: 'password = input("Password: ")\npassword=$(cat /run/secrets/db)' },
  { format: 'password hash field', text: '{"password_hash": "$2b$12$' + fill(53, BASE64.replace('+', '.'), 96) + '"}' },
  { format: 'working directory', text: 'PWD=/home/runner/work/app/app\nOLDPWD=/home/runner' },
  { format: 'form labels', text: 'Password: Required\nPassphrase: Optional' },
  { format: 'Stripe publishable key', text: `Stripe.setPublishableKey('${j('pk', '_live_', fill(24, ALNUM, 97))}')` },
  { format: 'placeholder GitHub token', text: `GITHUB_TOKEN=gh${'p_'}${'x'.repeat(36)}` },
  { format: 'placeholder AWS key id', text: `aws_access_key_id = ${j('AK', 'IA')}${'X'.repeat(16)}` },
  { format: 'placeholder Slack token', text: 'SLACK_BOT_TOKEN=xoxb-your-bot-token' },
  { format: 'placeholder Stripe key', text: `stripe.api_key = "sk${'_live_'}..."` },
  { format: 'database URL with a placeholder password', text: 'postgres://user:password@localhost:5432/app' },
  { format: 'database URL from variables', text: ['mongodb://', '{MONGO_USER}:', '{MONGO_PASS}@mongo:27017/app'].join('$') },
  { format: 'database URL without credentials', text: 'DATABASE_URL=postgres://db.internal:5432/app' },
  { format: 'elided private key', text: '-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----' },
  { format: 'public key', text: ecPublic },
  { format: 'certificate', text: pem('CERTIFICATE', 86, 8, 'MIIC') },
  { format: 'SSH public key', text: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${fill(43, BASE64, 95)} dev@laptop` },
  { format: 'git SSH URL', text: 'git@github.com:acme/app.git' },
  // Documentation examples, ignored on purpose (docs/secrets-detection.md)
  { format: "AWS's documented example key id", text: `aws_access_key_id = ${j('AKIA', 'IOSFODNN7', 'EXAMPLE')}` },
  { format: "AWS's documented example secret", text: `aws_secret_access_key = ${j('wJalrXUtnFEMI/K7MDENG/', 'bPxRfiCY', 'EXAMPLEKEY')}` },
  {
    format: "jwt.io's example token",
    text: j('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9', '.', 'eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ', '.', 'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'),
  },
  { format: "Stripe's documented test key", text: `stripe.api_key = "${j('sk', '_test_', '4eC39HqLyjWDarjtT1zdp7dc')}"` },
];
