// Key administration in the use case: the first-start key comes with its id, revoking reports
// what it did, and a key is refused wherever an id is expected (before any lookup).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAssayError, ProjectExistsError } from '../core/errors.js';
import type { Stores } from '../core/ports.js';
import { FakeClock } from '../testing/fake-clock.js';
import { openStores } from '../storage/index.js';
import { ProjectService } from './projects.js';

let dir: string;
let stores: Stores;
let clock: FakeClock;
let service: ProjectService;
beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'assay-projects-'));
  stores = await openStores({ dataDir: dir });
  clock = new FakeClock(1_000);
  service = new ProjectService(stores, clock);
});
afterEach(async () => {
  await stores.close();
  rmSync(dir, { recursive: true, force: true });
});

const code = (error: unknown) => (isAssayError(error) ? error.code : String(error));

describe('ProjectService keys', () => {
  it('returns the id of the key it creates at first start, which the list shows', async () => {
    const boot = await service.bootstrap(undefined);
    expect(boot?.createdKey).toMatch(/^sk-lw-/);
    const { items, total, project } = await service.listKeys('default', { page: 1, pageSize: 50 });
    expect(project.slug).toBe('default');
    expect(total).toBe(1);
    expect(items[0]).toEqual({ id: boot?.createdKeyId, projectId: project.id, prefix: `${boot!.createdKey!.slice(0, 10)}…`, createdAt: 1_000, revokedAt: null });
  });

  it('revokes once, then reports the first time; the key no longer authenticates', async () => {
    const { project, key } = await service.createProject('Team');
    await clock.advance(500);
    expect(await service.revokeKey(key.id)).toEqual({ alreadyRevoked: false, key: { id: key.id, projectId: project.id, prefix: expect.stringMatching(/^sk-lw-.{4}…$/), createdAt: 1_000, revokedAt: 1_500 } });
    await clock.advance(500);
    expect(await service.revokeKey(key.id)).toMatchObject({ alreadyRevoked: true, key: { revokedAt: 1_500 } });
    expect(await service.authenticate(key.apiKey)).toBeNull();
    expect(await service.keyActive(key.id)).toBe(false);
  });

  it('refuses a key where an id is expected without quoting it, and quotes only id-shaped unknowns', async () => {
    const { key } = await service.createProject('Team');
    for (const attempt of [() => service.revokeKey(key.apiKey), () => service.listKeys(key.apiKey, { page: 1, pageSize: 1 }), () => service.createKey(key.apiKey)]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(code(error)).toBe('validation_error');
      expect(JSON.stringify({ message: (error as Error).message, ...(error as { meta: object }).meta })).not.toContain(key.apiKey.slice(6));
    }
    expect(await service.authenticate(key.apiKey)).not.toBeNull();
    await expect(service.revokeKey('key_nope')).rejects.toThrow('API key not found: key_nope');
    await expect(service.revokeKey('Zm9vYmFyYmF6cXV4')).rejects.toThrow(/^API key not found \(/);
    await expect(service.resolveProject('proj_nope')).rejects.toThrow('Project not found: proj_nope');
    await expect(service.resolveProject('Zm9v_YmFy')).rejects.toThrow(/^Project not found$/);
  });
});

describe('ProjectService.createProject', () => {
  it('refuses a taken slug, given or derived from the name, naming the project that holds it', async () => {
    const { project } = await service.createProject('Team B');
    for (const attempt of [() => service.createProject('Team B'), () => service.createProject('team   b!'), () => service.createProject('Other', 'team-b')]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProjectExistsError);
      expect((error as ProjectExistsError).existing).toEqual(project);
      expect(code(error)).toBe('slug_taken');
    }
    expect((await stores.projects.list()).map((p) => p.slug)).toEqual(['team-b']);
  });
});

