// The API key store's listing, on SQLite and PostgreSQL alike: pages of a project's keys, oldest
// first, revoked ones included, never another project's and never the hash.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Stores } from '../core/ports.js';
import { allDatabases } from '../testing/databases.js';
import { openStores } from './index.js';

describe.each(allDatabases())('api keys on $name', (database) => {
  let stores: Stores;
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

  it("pages a project's keys oldest first (ties by id), with revoked ones and the total", async () => {
    // Created out of order, two at the same millisecond.
    for (const [id, at] of [['k3', 30], ['k1', 10], ['k2b', 20], ['k2a', 20]] as const) {
      await stores.apiKeys.create({ id, projectId: 'p1', hash: `hash-${id}`, prefix: `sk-lw-${id}…`, createdAt: at, revokedAt: null });
    }
    await stores.apiKeys.create({ id: 'other', projectId: 'p2', hash: 'hash-other', prefix: 'sk-lw-oth…', createdAt: 5, revokedAt: null });
    await stores.apiKeys.revoke('k2a', 40);

    const first = await stores.apiKeys.pageForProject('p1', { page: 1, pageSize: 3 });
    expect(first.total).toBe(4);
    expect(first.items.map((k) => k.id)).toEqual(['k1', 'k2a', 'k2b']);
    expect(first.items[1]).toEqual({ id: 'k2a', projectId: 'p1', prefix: 'sk-lw-k2a…', createdAt: 20, revokedAt: 40 });
    expect(first.items[0]!.revokedAt).toBeNull();
    expect(JSON.stringify(first)).not.toContain('hash-');

    const second = await stores.apiKeys.pageForProject('p1', { page: 2, pageSize: 3 });
    expect(second).toEqual({ total: 4, items: [{ id: 'k3', projectId: 'p1', prefix: 'sk-lw-k3…', createdAt: 30, revokedAt: null }] });
    expect(await stores.apiKeys.pageForProject('p1', { page: 3, pageSize: 3 })).toEqual({ total: 4, items: [] });

    expect((await stores.apiKeys.pageForProject('p2', { page: 1, pageSize: 50 })).items.map((k) => k.id)).toEqual(['other']);
    expect(await stores.apiKeys.pageForProject('missing', { page: 1, pageSize: 50 })).toEqual({ total: 0, items: [] });
  });

  it('answers times as numbers on both databases (PostgreSQL bigint included)', async () => {
    const at = Date.UTC(2030, 0, 1);
    await stores.apiKeys.create({ id: 'k', projectId: 'p1', hash: 'h', prefix: 'sk-lw-abcd…', createdAt: at, revokedAt: null });
    await stores.apiKeys.revoke('k', at + 1);
    const [key] = (await stores.apiKeys.pageForProject('p1', { page: 1, pageSize: 1 })).items;
    expect(key).toEqual({ id: 'k', projectId: 'p1', prefix: 'sk-lw-abcd…', createdAt: at, revokedAt: at + 1 });
  });
});
