/**
 * VIPs some real speaker answers for now, from each speaker's last line about each VIP: did the claims settle.
 * Counting lines instead went wrong by one per fence episode ("fenced: stopped answering" is not about a VIP) and
 * never came back, so the figure drifted to -19. A killed process says nothing more, so what it answered still
 * counts: the bench reads this before it kills or restarts any speaker. (Its "speaker started" line cannot reset
 * it: a speaker may answer VIPs before logging it.)
 */
export function vipsAnswered(lines: readonly { node: number; line: string }[]): number {
  const answering = new Map<number, Set<string>>();
  for (const { node, line } of lines) {
    const on = line.includes('"msg":"answering and announcing"');
    if (!on && !line.includes('"msg":"stopped answering"')) continue;
    const vip = /"vip":"([^"]+)"/.exec(line)?.[1];
    if (vip === undefined) continue;
    const mine = answering.get(node) ?? new Set<string>();
    answering.set(node, mine);
    if (on) mine.add(vip);
    else mine.delete(vip);
  }
  return new Set([...answering.values()].flatMap((s) => [...s])).size;
}
