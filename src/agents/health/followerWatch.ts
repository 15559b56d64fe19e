/** Whether a follower (adapters/nats/follow.ts) still runs: its `done` settles only when it stopped. */
export function watchFollower(done: Promise<void>): { readonly alive: boolean } {
  const state = { alive: true };
  done.then(() => (state.alive = false), () => (state.alive = false));
  return state;
}
