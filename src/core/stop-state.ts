// What can be read of an abort without holding its signal (a leaf module: the ports, the
// evaluator context and the offload queue all name it).

/** An abort's state: AbortSignal has both fields, and so does a deadline without its signal made. */
export interface StopState {
  readonly aborted: boolean;
  readonly reason: unknown;
}

/**
 * A stop that can be listened to without an AbortSignal: a deadline whose signal nobody has
 * read yet. `onStop` calls `listener` once, with the reason, when it stops (at once when it has
 * already); the answer removes the listener. A model call that can cancel its request itself
 * (the lean chat path) listens here, and so never makes the deadline's AbortController.
 */
export interface Stoppable extends StopState {
  onStop(listener: (reason: unknown) => void): () => void;
}

/**
 * Calls `onStop` with the reason once `stop` stops (at once when it has already); the answer
 * stops listening. Takes a Stoppable without making its signal, or a plain AbortSignal.
 */
export function listenForStop(stop: Stoppable | AbortSignal, onStop: (reason: unknown) => void): () => void {
  if ('onStop' in stop) return stop.onStop(onStop);
  if (stop.aborted) {
    onStop(stop.reason);
    return () => {};
  }
  const listener = (): void => onStop(stop.reason);
  stop.addEventListener('abort', listener, { once: true });
  return () => stop.removeEventListener('abort', listener);
}
