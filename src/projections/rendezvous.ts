/** FNV-1a over a VIP and node name: a stable, evenly spread tie-breaker that every agent computes alike. */
export function rendezvousScore(vip: string, node: string): number {
  let hash = 0x811c9dc5;
  const text = `${vip}|${node}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
