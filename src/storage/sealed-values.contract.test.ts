// The sealed values across the stores, one contract on SQLite and PostgreSQL: every kind is
// counted and read (newest first, capped), and a drop removes only the value as it was read.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { allDatabases } from '../testing/databases.js';
import { openStores, type SqlStores } from './index.js';

describe.each(allDatabases())('sealed values on $name', (database) => {
  let stores: SqlStores;
  afterAll(async () => {
    await stores?.close();
    await database.cleanup();
  });
  beforeEach(async () => {
    await stores?.close();
    stores = await openStores(await database.options());
    await stores.projects.create({ id: 'p1', slug: 'one', name: 'One', createdAt: 1 });
    await stores.projects.create({ id: 'p2', slug: 'two', name: 'Two', createdAt: 2 });
  });

  it('counts and reads every kind, newest first, and caps the newest', async () => {
    expect(await stores.sealed.count()).toBe(0);
    expect(await stores.sealed.all()).toEqual([]);
    await stores.secrets.put('p1', 'TOKEN', 'v1.secret', 10);
    await stores.providers.put('p1', 'openai', { sealedApiKey: 'v1.key', sealedHeaders: 'v1.headers', at: 30 });
    // A provider with neither key nor headers holds nothing sealed.
    await stores.providers.put('p2', 'ollama', { baseUrl: 'http://localhost:11434/v1', at: 40 });
    await stores.webhooks.createSecret('p2', 'v1.webhook', 20);
    expect(await stores.sealed.count()).toBe(4);
    const all = await stores.sealed.all();
    expect(all.map((v) => [v.kind, v.projectId, v.name, v.sealed, v.storedAt])).toEqual([
      ['provider-api-key', 'p1', 'openai', 'v1.key', 30],
      ['provider-headers', 'p1', 'openai', 'v1.headers', 30],
      ['webhook-secret', 'p2', '', 'v1.webhook', 20],
      ['secret', 'p1', 'TOKEN', 'v1.secret', 10],
    ]);
    expect((await stores.sealed.newest(2)).map((v) => v.sealed)).toEqual(['v1.key', 'v1.headers']);
  });

  it('drops a value only as it was read: a secret or webhook secret deleted, a provider key or headers cleared', async () => {
    await stores.secrets.put('p1', 'TOKEN', 'v1.old', 10);
    await stores.secrets.put('p1', 'OTHER', 'v1.other', 10);
    await stores.providers.put('p1', 'openai', { sealedApiKey: 'v1.key', sealedHeaders: 'v1.headers', baseUrl: 'https://api.example/v1', at: 11 });
    await stores.webhooks.createSecret('p1', 'v1.webhook', 12);
    const read = await stores.sealed.all();
    const of = (kind: string, name = '') => read.find((v) => v.kind === kind && (name === '' || v.name === name))!;

    // Stored again since it was read: kept.
    await stores.secrets.put('p1', 'TOKEN', 'v1.new', 20);
    expect(await stores.sealed.drop(of('secret', 'TOKEN'))).toBe(false);
    expect((await stores.secrets.get('p1', 'TOKEN'))?.sealedValue).toBe('v1.new');

    expect(await stores.sealed.drop(of('secret', 'OTHER'))).toBe(true);
    expect(await stores.secrets.get('p1', 'OTHER')).toBeNull();
    expect(await stores.sealed.drop(of('provider-api-key'))).toBe(true);
    expect(await stores.providers.get('p1', 'openai')).toMatchObject({ sealedApiKey: null, sealedHeaders: 'v1.headers', baseUrl: 'https://api.example/v1' });
    expect(await stores.sealed.drop(of('provider-headers'))).toBe(true);
    expect(await stores.providers.get('p1', 'openai')).toMatchObject({ sealedApiKey: null, sealedHeaders: null, baseUrl: 'https://api.example/v1' });
    expect(await stores.sealed.drop(of('webhook-secret'))).toBe(true);
    expect(await stores.webhooks.secret('p1')).toBeNull();
    // Twice: nothing left to drop.
    expect(await stores.sealed.drop(of('webhook-secret'))).toBe(false);
    expect((await stores.sealed.all()).map((v) => v.sealed)).toEqual(['v1.new']);
  });
});
