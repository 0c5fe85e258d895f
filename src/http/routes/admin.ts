// Admin API (SPEC §2): projects (created and listed) and keys, behind ASSAY_ADMIN_TOKEN. A key is shown once, at
// creation, always beside its id (`key_…`): the id is what lists show and what revoking takes.
import { z } from 'zod';
import type { ProjectService } from '../../app/projects.js';
import type { ApiKeyRecord } from '../../core/model/records.js';
import { NO_NUL, projectSlugSchema } from '../../core/model/slug.js';
import { pageQuery, pagination, paginationSchema, type RouteTable } from '../route.js';

// Strict: a key it does not take (`{"name", "slg"}`, `{"name", "description"}`) is a 400 naming
// it, not a project made without it (a typo'd slug would otherwise become a derived one).
const createProjectSchema = z.strictObject({ name: z.string().trim().min(1).max(200).regex(...NO_NUL), slug: projectSlugSchema.optional() });
const createdProjectSchema = z.object({
  id: z.string().describe("The project's id (proj_…)"),
  slug: z.string(),
  name: z.string(),
  apiKey: z.string().describe('The first API key (sk-lw-…); shown once'),
  keyId: z.string().describe("The first key's id (key_…): what DELETE /api/admin/api-keys/{id} takes"),
});
const createdKeySchema = z.object({
  id: z.string().describe("The key's id (key_…): what DELETE /api/admin/api-keys/{id} takes"),
  apiKey: z.string().describe('The key itself (sk-lw-…); shown once'),
});
const apiKeySchema = z.object({
  id: z.string().describe("The key's id (key_…)"),
  projectId: z.string(),
  prefix: z.string().describe('The first characters of the key, for telling keys apart (sk-lw-AbCd…); the key itself is never shown again'),
  createdAt: z.number().describe('Unix ms'),
  revokedAt: z.number().nullable().describe('Unix ms; null while the key works'),
});
const projectSummarySchema = z.object({
  id: z.string().describe("The project's id (proj_…)"),
  slug: z.string(),
  name: z.string(),
  createdAt: z.number().describe('Unix ms'),
  keyCount: z.int().describe('API keys ever created for the project, revoked ones included'),
  activeKeyCount: z.int().describe('API keys of the project that still work'),
});
const projectListSchema = z.object({ projects: z.array(projectSummarySchema), pagination: paginationSchema });
const apiKeyListSchema = z.object({ apiKeys: z.array(apiKeySchema), pagination: paginationSchema });
const idParam = z.object({ id: z.string().max(200) });
const projectParam = z.object({ id: z.string().max(200).describe("The project's id (proj_…) or slug") });

function presentKey(k: ApiKeyRecord): z.infer<typeof apiKeySchema> {
  return { id: k.id, projectId: k.projectId, prefix: k.prefix, createdAt: k.createdAt, revokedAt: k.revokedAt };
}

export function adminRoutes(routes: RouteTable, projects: ProjectService): void {
  routes.add(
    {
      method: 'post', path: '/api/admin/projects', summary: 'Create a project and its first API key', tags: ['Admin'], auth: 'admin',
      body: { schema: createProjectSchema },
      description: 'The slug is derived from the name when not given. A slug another project holds (given or derived) is a 409 `slug_taken` naming that project (`projectId`, `slug`, `name`): a name is never made unique with `-2`, so a provisioning script run twice creates one project. A key other than `name` and `slug` is a 400 `validation_error` naming it.',
      responses: { 201: { description: 'Created', schema: createdProjectSchema }, 409: { description: 'A project holds the slug; the body names it' } },
    },
    async (c, { body }) => {
      const { project, key } = await projects.createProject(body.name, body.slug);
      return c.json({ id: project.id, slug: project.slug, name: project.name, apiKey: key.apiKey, keyId: key.id }, 201);
    },
  );

  routes.add(
    {
      method: 'get', path: '/api/admin/projects', summary: 'List projects', tags: ['Admin'], auth: 'admin',
      description: 'Every project on the server, oldest first, with how many API keys it has (never the keys).',
      query: pageQuery,
      responses: { 200: { description: 'A page', schema: projectListSchema } },
    },
    async (c, { query }) => {
      const { items, total } = await projects.listProjects(query);
      const shown = items.map((p) => ({ id: p.id, slug: p.slug, name: p.name, createdAt: p.createdAt, keyCount: p.keyCount, activeKeyCount: p.activeKeyCount }));
      return c.json({ projects: shown, pagination: pagination(query.page, query.pageSize, items.length, total) });
    },
  );

  routes.add(
    {
      method: 'post', path: '/api/admin/projects/{id}/api-keys', summary: 'Create another API key for a project', tags: ['Admin'], auth: 'admin',
      params: projectParam,
      responses: { 201: { description: 'Created', schema: createdKeySchema } },
    },
    async (c, { params }) => {
      const key = await projects.createKey(params.id);
      return c.json({ id: key.id, apiKey: key.apiKey }, 201);
    },
  );

  routes.add(
    {
      method: 'get', path: '/api/admin/projects/{id}/api-keys', summary: "List a project's API keys", tags: ['Admin'], auth: 'admin',
      description: 'Ids, display prefixes and times of every key of the project, revoked ones included, oldest first. The keys themselves are never returned.',
      params: projectParam, query: pageQuery,
      responses: { 200: { description: 'A page', schema: apiKeyListSchema } },
    },
    async (c, { params, query }) => {
      const { items, total } = await projects.listKeys(params.id, query);
      return c.json({ apiKeys: items.map(presentKey), pagination: pagination(query.page, query.pageSize, items.length, total) });
    },
  );

  routes.add(
    {
      method: 'delete', path: '/api/admin/api-keys/{id}', summary: 'Revoke an API key', tags: ['Admin'], auth: 'admin',
      description: "Takes the key's id (key_…, as listed by GET /api/admin/projects/{id}/api-keys), never the key itself: a value that looks like a key (sk-lw-…) is refused with a 400 that does not quote it. Revoking a revoked key is a 204 that keeps the first time.",
      params: idParam,
      responses: { 204: { description: 'Revoked' } },
    },
    async (c, { params }) => {
      await projects.revokeKey(params.id);
      return c.body(null, 204);
    },
  );
}
