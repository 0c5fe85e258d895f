// A fetched value as a small external store (loading → ready | error), for the pages that
// only read: the experiments list and the experiment. Reloadable after an action.
import { useEffect, useState } from 'react';
import { describeError } from '../api.js';
import { createStore, type Store, useStore } from './store.js';

export type Resource<T> = { status: 'loading' } | { status: 'ready'; data: T } | { status: 'error'; error: string };

export class ResourceStore<T> {
  readonly store: Store<Resource<T>> = createStore<Resource<T>>({ status: 'loading' });
  private generation = 0;
  constructor(private readonly load: () => Promise<T>) {}

  async reload(): Promise<void> {
    const mine = ++this.generation;
    try {
      const data = await this.load();
      if (mine === this.generation) this.store.set({ status: 'ready', data });
    } catch (error) {
      if (mine === this.generation) this.store.set({ status: 'error', error: describeError(error) });
    }
  }

  dispose(): void {
    this.generation++;
  }
}

/** A resource for the component's lifetime, loaded on mount. */
export function useResource<T>(load: () => Promise<T>): [Resource<T>, ResourceStore<T>] {
  const [resource] = useState(() => new ResourceStore(load));
  useEffect(() => {
    void resource.reload();
    return () => resource.dispose();
  }, [resource]);
  return [useStore(resource.store), resource];
}
