/** Memoises a cheap-but-not-free read for `ms`, e.g. sysfs interface facts read on every heartbeat. */
export function cachedFor<T>(ms: number, read: () => T): () => T {
  let value: T | undefined;
  let at = -Infinity;
  return () => {
    const now = Date.now();
    if (value === undefined || now - at >= ms) {
      value = read();
      at = now;
    }
    return value;
  };
}
