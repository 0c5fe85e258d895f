// A minimal external store (get / set / subscribe) and the hook that reads it, so page state
// lives in plain TypeScript and React only renders it — the AI SDK's useChat pattern. Written
// here rather than taken from a library: it is the 30 lines React's useSyncExternalStore asks for.
import { useCallback, useRef, useSyncExternalStore } from 'react';

export interface Store<T> {
  get(): T;
  set(next: T | ((prev: T) => T)): void;
  subscribe(listener: () => void): () => void;
}

export function createStore<T>(initial: T): Store<T> {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => state,
    set(next) {
      const value = typeof next === 'function' ? (next as (prev: T) => T)(state) : next;
      if (Object.is(value, state)) return;
      state = value;
      for (const l of [...listeners]) l();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Reads a slice of a store; re-renders only when the selected value changes (Object.is). */
export function useStore<T, S = T>(store: Store<T>, select: (state: T) => S = (s) => s as unknown as S): S {
  const selectRef = useRef(select);
  selectRef.current = select;
  const getSnapshot = useCallback(() => selectRef.current(store.get()), [store]);
  return useSyncExternalStore(store.subscribe, getSnapshot, getSnapshot);
}
