// The environment side of secrets and providers: ASSAY_SECRET_<NAME> (never ASSAY_SECRET_KEY),
// provider variables, stored secrets over environment ones, and configuration errors that
// never print a credential.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './env.js';
import { ProjectSecrets } from './secrets.js';

const KEY = 'k'.repeat(40);

describe('environment secrets', () => {
  it('reads ASSAY_SECRET_<NAME>, skipping empty values and the encryption key itself', () => {
    const config = loadConfig({ ASSAY_SECRET_KEY: KEY, ASSAY_SECRET_BOT_TOKEN: 'b', ASSAY_SECRET_EMPTY: '', ASSAY_SECRET_: 'x', ASSAY_SECRET___proto__: 'p', OTHER: 'o' });
    expect(config.secretKey).toBe(KEY);
    // An own property named __proto__, not a prototype.
    expect(Object.entries(config.envSecrets)).toEqual([['BOT_TOKEN', 'b'], ['__proto__', 'p']]);
    expect(Object.getPrototypeOf(config.envSecrets)).toBe(Object.prototype);
    expect(Object.values(config.envSecrets)).not.toContain(KEY);
  });

  it('gives a project\'s stored secret precedence over the environment, per project', async () => {
    const stored: Record<string, Record<string, string>> = { p1: { BOT_TOKEN: 'stored', ONLY_STORED: 's' } };
    const env = { values: { BOT_TOKEN: 'env', ONLY_ENV: 'e' }, origins: { BOT_TOKEN: ['https://env.example'], ONLY_ENV: ['https://e.example'] } };
    const secrets = new ProjectSecrets(async (id) => ({ values: stored[id] ?? {}, origins: {} }), env, { allows: async () => true });
    // A stored secret replaces the environment's value and its origins.
    expect(await secrets.secretsFor('p1')).toEqual({ values: { BOT_TOKEN: 'stored', ONLY_STORED: 's', ONLY_ENV: 'e' }, origins: { ONLY_ENV: ['https://e.example'] } });
    expect(await secrets.secretsFor('p2')).toEqual(env);
  });

  it('gives ASSAY_SECRET_* values only to the projects that may share the server\'s credentials', async () => {
    const secrets = new ProjectSecrets(async () => ({ values: { OWN: 'o' }, origins: {} }), { values: { SHARED: 's' }, origins: {} }, { allows: async (id) => id === 'p1' });
    expect((await secrets.secretsFor('p1')).values).toEqual({ SHARED: 's', OWN: 'o' });
    expect((await secrets.secretsFor('p2')).values).toEqual({ OWN: 'o' });
  });

  it('reads ASSAY_SECRET_ORIGINS_<NAME> as origins (never as a secret) and refuses what is not an origin', () => {
    const config = loadConfig({ ASSAY_SECRET_BOT: 'b', ASSAY_SECRET_ORIGINS_BOT: 'https://API.example.com:443, http://10.0.0.1:8080' });
    expect(config.envSecrets).toEqual({ BOT: 'b' });
    expect(config.envSecretOrigins).toEqual({ BOT: ['http://10.0.0.1:8080', 'https://api.example.com'] });
    expect(() => loadConfig({ ASSAY_SECRET_ORIGINS_BOT: 'https://api.example.com/v1' })).toThrow(/ASSAY_SECRET_ORIGINS_BOT: "https:\/\/api.example.com\/v1" is not an origin/);
  });

  it('reads ASSAY_SHARED_CREDENTIALS_PROJECTS as *, none or a list of slugs', () => {
    expect(loadConfig({}).sharedCredentialsProjects).toBe('all');
    expect(loadConfig({ ASSAY_SHARED_CREDENTIALS_PROJECTS: '*' }).sharedCredentialsProjects).toBe('all');
    expect(loadConfig({ ASSAY_SHARED_CREDENTIALS_PROJECTS: 'none' }).sharedCredentialsProjects).toEqual([]);
    expect(loadConfig({ ASSAY_SHARED_CREDENTIALS_PROJECTS: 'default, team-a' }).sharedCredentialsProjects).toEqual(['default', 'team-a']);
    expect(() => loadConfig({ ASSAY_SHARED_CREDENTIALS_PROJECTS: 'a b' })).toThrow(/ASSAY_SHARED_CREDENTIALS_PROJECTS/);
  });
});

describe('environment providers', () => {
  it('collects the named provider variables', () => {
    const config = loadConfig({
      OPENAI_API_KEY: 'sk-o', OPENAI_BASE_URL: 'http://localhost:8080/v1', ANTHROPIC_API_KEY: 'sk-a',
      GOOGLE_GENERATIVE_AI_API_KEY: 'g', AZURE_API_KEY: 'az', AZURE_RESOURCE_NAME: 'my-res', MISTRAL_API_KEY: 'ignored',
    });
    expect(config.providers).toEqual({
      openai: { apiKey: 'sk-o', baseUrl: 'http://localhost:8080/v1' },
      anthropic: { apiKey: 'sk-a' },
      google: { apiKey: 'g' },
      azure: { apiKey: 'az', baseUrl: 'https://my-res.openai.azure.com/openai' },
    });
    expect(loadConfig({ ANTHROPIC_BASE_URL: 'https://proxy.example' }).providers).toEqual({ anthropic: { baseUrl: 'https://proxy.example' } });
    expect(loadConfig({}).providers).toEqual({});
  });

  it('names a bad variable without printing credentials', () => {
    const error = (() => {
      try {
        loadConfig({ ASSAY_SECRET_KEY: 'short-but-secret', OPENAI_BASE_URL: 'nope', AZURE_RESOURCE_NAME: 'bad name!' });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('no error');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problems.map((p) => p.split(/[ =]/)[0])).toEqual(['ASSAY_SECRET_KEY', 'OPENAI_BASE_URL', 'AZURE_RESOURCE_NAME']);
    expect(error.message).not.toContain('short-but-secret');
    expect(error.message).toContain('ASSAY_SECRET_KEY (value hidden): must be at least 32 characters');
    expect(error.message).toContain('OPENAI_BASE_URL="nope"');
  });

  it("refuses credentials in a provider's base URL, without printing them", () => {
    // Never sent with a call (the key goes in the provider's header), and every project's GET
    // /api/providers shows the server's base URL: a gateway password there reached every project.
    for (const [name, value] of [['OPENAI_BASE_URL', 'http://opuser:op-gateway-pass@127.0.0.1:8080/v1'], ['ANTHROPIC_BASE_URL', 'https://op-gateway-pass@gw.example/anthropic']] as const) {
      let error: ConfigError | undefined;
      try {
        loadConfig({ [name]: value });
      } catch (e) {
        error = e as ConfigError;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect(error!.message).toContain(`${name} (value hidden): must not contain credentials (user:password@)`);
      expect(error!.message).not.toContain('op-gateway-pass');
    }
  });
});
