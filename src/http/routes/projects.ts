// The project an API key belongs to. The web page signs in with a key alone and needs the
// project's slug for its URLs (runUrl is /{projectSlug}/experiments/…); this is the one
// authenticated call that answers it, and a cheap way to check that a key is valid.
// GET /api/me/project answers the same question in LangWatch's shape: the TypeScript SDK 1.8
// CLI calls it (best effort) to print "Using API key for project …".
import { z } from 'zod';
import type { RouteTable } from '../route.js';

export const currentProjectSchema = z.object({
  id: z.string(),
  slug: z.string().describe('The first segment of runUrl paths'),
  name: z.string(),
});

/** LangWatch's `GET /api/me/project` body; Assay has no personal projects. */
export const meProjectSchema = currentProjectSchema.extend({
  isPersonal: z.literal(false).describe('LangWatch personal projects; always false in Assay'),
});

export function projectRoutes(routes: RouteTable): void {
  routes.add(
    {
      method: 'get', path: '/api/projects/current', summary: "The API key's project", tags: ['Projects'], auth: 'project',
      description: 'Which project the presented key belongs to (the web page uses it to sign in).',
      responses: { 200: { description: 'The project', schema: currentProjectSchema } },
    },
    (c) => {
      const { id, slug, name } = c.get('project');
      return c.json({ id, slug, name });
    },
  );

  routes.add(
    {
      method: 'get', path: '/api/me/project', summary: "The API key's project (LangWatch form)", tags: ['Projects'], auth: 'project',
      description: "LangWatch's identity call, used by its CLI to name the key's project before a command.",
      responses: { 200: { description: 'The project', schema: meProjectSchema } },
    },
    (c) => {
      const { id, slug, name } = c.get('project');
      return c.json({ id, name, slug, isPersonal: false as const });
    },
  );
}
