// Admin API (SPEC §2): projects and keys, behind ASSAY_ADMIN_TOKEN.
import { z } from 'zod';
import type { ProjectService } from '../../app/projects.js';
import { NO_NUL, projectSlugSchema } from '../../core/model/slug.js';
import type { RouteTable } from '../route.js';

const createProjectSchema = z.object({ name: z.string().trim().min(1).max(200).regex(...NO_NUL), slug: projectSlugSchema.optional() });
const createdProjectSchema = z.object({ id: z.string(), slug: z.string(), name: z.string(), apiKey: z.string().describe('Shown once') });
const createdKeySchema = z.object({ id: z.string(), apiKey: z.string().describe('Shown once') });
const idParam = z.object({ id: z.string().max(200) });

export function adminRoutes(routes: RouteTable, projects: ProjectService): void {
  routes.add(
    {
      method: 'post', path: '/api/admin/projects', summary: 'Create a project and its first API key', tags: ['Admin'], auth: 'admin',
      body: { schema: createProjectSchema },
      responses: { 201: { description: 'Created', schema: createdProjectSchema }, 409: { description: 'Slug taken' } },
    },
    async (c, { body }) => {
      const { project, key } = await projects.createProject(body.name, body.slug);
      return c.json({ id: project.id, slug: project.slug, name: project.name, apiKey: key.apiKey }, 201);
    },
  );

  routes.add(
    {
      method: 'post', path: '/api/admin/projects/{id}/api-keys', summary: 'Create another API key for a project', tags: ['Admin'], auth: 'admin',
      params: idParam,
      responses: { 201: { description: 'Created', schema: createdKeySchema } },
    },
    async (c, { params }) => {
      const key = await projects.createKey(params.id);
      return c.json({ id: key.id, apiKey: key.apiKey }, 201);
    },
  );

  routes.add(
    {
      method: 'delete', path: '/api/admin/api-keys/{id}', summary: 'Revoke an API key', tags: ['Admin'], auth: 'admin',
      params: idParam,
      responses: { 204: { description: 'Revoked' } },
    },
    async (c, { params }) => {
      await projects.revokeKey(params.id);
      return c.body(null, 204);
    },
  );
}
