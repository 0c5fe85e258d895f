// Secret and provider stores, one contract on SQLite and PostgreSQL: upserts, field-level
// provider changes, isolation between projects, and no plaintext in the stored columns.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Stores } from '../core/ports.js';
import { allDatabases } from '../testing/databases.js';
import { openDb } from './connect.js';
import { AesGcmCipher } from './crypto.js';
import { openStores, type OpenStoresOptions } from './index.js';

const cipher = new AesGcmCipher(randomBytes(32));
const PLAIN = 'sk-plaintext-secret-value-0123456789';

describe.each(allDatabases())('secret and provider stores on $name', (database) => {
  let stores: Stores;
  let options: OpenStoresOptions;
  afterAll(async () => {
    await stores?.close();
    await database.cleanup();
  });
  beforeEach(async () => {
    await stores?.close();
    options = await database.options();
    stores = await openStores(options);
    await stores.projects.create({ id: 'p1', slug: 'one', name: 'One', createdAt: 1 });
    await stores.projects.create({ id: 'p2', slug: 'two', name: 'Two', createdAt: 2 });
  });

  /** Every text value of a table, read past the stores. */
  async function rawColumns(table: 'project_secrets' | 'provider_settings'): Promise<string> {
    const { db } = await openDb(options);
    try {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db);
      return JSON.stringify(rows.rows);
    } finally {
      await db.destroy();
    }
  }

  it('upserts secrets per project, lists names by code point, and removes them', async () => {
    const sealed = cipher.seal(PLAIN, 'p1/secret/TOKEN');
    expect(await stores.secrets.put('p1', 'TOKEN', sealed, 10)).toEqual({ name: 'TOKEN', updatedAt: 10 });
    await stores.secrets.put('p1', '_Z', cipher.seal('z', 'p1/secret/_Z'), 11);
    await stores.secrets.put('p1', 'A_B', cipher.seal('ab', 'p1/secret/A_B'), 12);
    await stores.secrets.put('p1', 'AB', cipher.seal('ab', 'p1/secret/AB'), 13);
    // Same name in another project is another secret.
    await stores.secrets.put('p2', 'TOKEN', cipher.seal('other', 'p2/secret/TOKEN'), 14);

    expect(await stores.secrets.list('p1')).toEqual([
      { name: 'AB', updatedAt: 13 }, { name: 'A_B', updatedAt: 12 }, { name: 'TOKEN', updatedAt: 10 }, { name: '_Z', updatedAt: 11 },
    ]);
    const got = await stores.secrets.get('p1', 'TOKEN');
    expect(got).toEqual({ name: 'TOKEN', sealedValue: sealed, createdAt: 10, updatedAt: 10 });
    expect(cipher.open(got!.sealedValue, 'p1/secret/TOKEN')).toBe(PLAIN);

    const replaced = cipher.seal('new value', 'p1/secret/TOKEN');
    await stores.secrets.put('p1', 'TOKEN', replaced, 20);
    expect(await stores.secrets.get('p1', 'TOKEN')).toEqual({ name: 'TOKEN', sealedValue: replaced, createdAt: 10, updatedAt: 20 });
    expect((await stores.secrets.values('p1')).map((s) => s.name)).toEqual(['AB', 'A_B', 'TOKEN', '_Z']);
    // Origins: left out keeps what is stored, null clears them.
    expect(await stores.secrets.put('p1', 'TOKEN', replaced, 21, ['https://a.example'])).toEqual({ name: 'TOKEN', updatedAt: 21, allowedOrigins: ['https://a.example'] });
    expect(await stores.secrets.put('p1', 'TOKEN', replaced, 22)).toEqual({ name: 'TOKEN', updatedAt: 22, allowedOrigins: ['https://a.example'] });
    expect(await stores.secrets.put('p1', 'TOKEN', replaced, 23, null)).toEqual({ name: 'TOKEN', updatedAt: 23 });
    expect(await stores.secrets.put('p1', 'TOKEN', replaced, 24)).toEqual({ name: 'TOKEN', updatedAt: 24 });
    expect(cipher.open((await stores.secrets.values('p2'))[0]!.sealedValue, 'p2/secret/TOKEN')).toBe('other');

    expect(await stores.secrets.get('p2', 'AB')).toBeNull();
    expect(await stores.secrets.remove('p2', 'AB')).toBe(false);
    expect(await stores.secrets.remove('p1', 'AB')).toBe(true);
    expect(await stores.secrets.remove('p1', 'AB')).toBe(false);
    expect((await stores.secrets.list('p2')).map((s) => s.name)).toEqual(['TOKEN']);
    expect(await stores.secrets.list('p3')).toEqual([]);
  });

  it('changes provider fields one by one: absent keeps, null clears', async () => {
    const key = cipher.seal(PLAIN, 'p1/provider-api-key/openai');
    const created = await stores.providers.put('p1', 'openai', { sealedApiKey: key, at: 5 });
    expect(created).toEqual({ name: 'openai', sealedApiKey: key, baseUrl: null, sealedHeaders: null, prices: null, maxConcurrency: null, createdAt: 5, updatedAt: 5 });
    const headers = cipher.seal('{"x-org":"o"}', 'p1/provider-headers/openai');
    const both = await stores.providers.put('p1', 'openai', { baseUrl: 'http://localhost:1/v1', sealedHeaders: headers, at: 6 });
    expect(both).toEqual({ name: 'openai', sealedApiKey: key, baseUrl: 'http://localhost:1/v1', sealedHeaders: headers, prices: null, maxConcurrency: null, createdAt: 5, updatedAt: 6 });
    const cleared = await stores.providers.put('p1', 'openai', { sealedApiKey: null, at: 7 });
    expect(cleared).toMatchObject({ sealedApiKey: null, baseUrl: 'http://localhost:1/v1', sealedHeaders: headers, updatedAt: 7 });
    expect(await stores.providers.get('p1', 'openai')).toEqual(cleared);
    const touched = await stores.providers.put('p1', 'openai', { at: 8 });
    expect(touched).toMatchObject({ baseUrl: 'http://localhost:1/v1', updatedAt: 8 });
    // The cap: set, kept by a change that leaves it out, cleared by null; stored as a number.
    expect(await stores.providers.put('p1', 'openai', { maxConcurrency: 2, at: 8 })).toMatchObject({ maxConcurrency: 2, baseUrl: 'http://localhost:1/v1' });
    expect(await stores.providers.put('p1', 'openai', { sealedApiKey: key, at: 8 })).toMatchObject({ maxConcurrency: 2, sealedApiKey: key });
    expect((await stores.providers.get('p1', 'openai'))!.maxConcurrency).toBe(2);
    expect(await stores.providers.put('p1', 'openai', { maxConcurrency: null, at: 8 })).toMatchObject({ maxConcurrency: null, sealedApiKey: key });
    expect(await stores.providers.put('p1', 'local', { baseUrl: 'http://localhost:2/v1', maxConcurrency: 1000, at: 8 })).toMatchObject({ maxConcurrency: 1000 });
    expect(await stores.providers.remove('p1', 'local')).toBe(true);

    await stores.providers.put('p1', 'anthropic', { baseUrl: 'https://a.example', at: 9 });
    await stores.providers.put('p2', 'ollama', { baseUrl: 'http://localhost:11434/v1', at: 9 });
    expect((await stores.providers.list('p1')).map((p) => p.name)).toEqual(['anthropic', 'openai']);
    expect((await stores.providers.list('p2')).map((p) => p.name)).toEqual(['ollama']);
    expect(await stores.providers.get('p2', 'openai')).toBeNull();
    expect(await stores.providers.remove('p2', 'openai')).toBe(false);
    expect(await stores.providers.remove('p1', 'openai')).toBe(true);
    expect(await stores.providers.get('p1', 'openai')).toBeNull();
    expect((await stores.providers.list('p1')).map((p) => p.name)).toEqual(['anthropic']);
  });

  it('never holds a plaintext value in a stored column', async () => {
    await stores.secrets.put('p1', 'TOKEN', cipher.seal(PLAIN, 'p1/secret/TOKEN'), 1);
    await stores.providers.put('p1', 'openai', {
      sealedApiKey: cipher.seal(PLAIN, 'p1/provider-api-key/openai'),
      sealedHeaders: cipher.seal(JSON.stringify({ authorization: PLAIN }), 'p1/provider-headers/openai'),
      at: 1,
    });
    const secrets = await rawColumns('project_secrets');
    const providers = await rawColumns('provider_settings');
    expect(secrets).toContain('TOKEN');
    expect(providers).toContain('openai');
    for (const text of [secrets, providers]) {
      expect(text).not.toContain(PLAIN);
      expect(text).not.toContain(Buffer.from(PLAIN).toString('base64'));
      expect(text).toContain('v1.');
    }
  });

  it('refuses secrets and providers of a project that does not exist', async () => {
    await expect(stores.secrets.put('nope', 'TOKEN', 'v1.x.y.z', 1)).rejects.toThrow();
    await expect(stores.providers.put('nope', 'openai', { baseUrl: 'http://x', at: 1 })).rejects.toThrow();
  });
});
