// What can be read of an abort without holding its signal (a leaf module: the ports, the
// evaluator context and the offload queue all name it).

/** An abort's state: AbortSignal has both fields, and so does a deadline without its signal made. */
export interface StopState {
  readonly aborted: boolean;
  readonly reason: unknown;
}
