// The signed-in API key. Kept in sessionStorage only: it survives a reload of the tab but not
// the tab itself, is never in a URL, a cookie or localStorage, and is sent only as a header to
// this origin (api.ts). See docs/decisions.md, "Run page".
import type { ProjectInfo } from '../api-types.js';
import { createStore, useStore } from './store.js';

const KEY = 'assay.apiKey';
const PROJECT = 'assay.project';

export interface Session {
  apiKey: string;
  project: ProjectInfo;
}

function read(): Session | null {
  try {
    const apiKey = sessionStorage.getItem(KEY);
    const project = sessionStorage.getItem(PROJECT);
    return apiKey && project ? { apiKey, project: JSON.parse(project) as ProjectInfo } : null;
  } catch {
    return null;
  }
}

export const sessionStore = createStore<Session | null>(read());

export function signIn(session: Session): void {
  sessionStorage.setItem(KEY, session.apiKey);
  sessionStorage.setItem(PROJECT, JSON.stringify(session.project));
  signOutNotice.set(null);
  sessionStore.set(session);
}

/**
 * Why the tab was signed out, shown on the sign-in form: its key stopped working (landing
 * there from a runUrl with no word of why looked like a bug), or another project's page asked
 * for that project's key. Null after a plain sign-out, and once a key is tried or signed in.
 */
export const signOutNotice = createStore<string | null>(null);

export function signOut(notice: string | null = null): void {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(PROJECT);
  signOutNotice.set(notice);
  sessionStore.set(null);
}

export const useSession = () => useStore(sessionStore);
