import { describe, expect, it } from "vitest";
import { StatusFanout } from "../../src/adapters/nats/statusFanout.js";

// The status stream of a swappable connection: every reader gets what was pushed after it asked, in order; a reader
// that stops gets nothing more; the end finishes every reader after what it was handed, and readers made later at once.

async function take(it: AsyncIterator<{ type: string }>, n: number): Promise<string[]> {
  const got: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await it.next();
    if (r.done) break;
    got.push(r.value.type);
  }
  return got;
}

describe("StatusFanout", () => {
  it("hands every reader what was pushed after it asked, in order", async () => {
    const f = new StatusFanout();
    const a = f.reader();
    f.push({ type: "disconnect", server: "s1" });
    const b = f.reader();
    f.push({ type: "reconnect", server: "s2" });
    expect(await take(a, 2)).toEqual(["disconnect", "reconnect"]);
    expect(await take(b, 1)).toEqual(["reconnect"]);
  });

  it("wakes a reader that waits", async () => {
    const f = new StatusFanout();
    const a = f.reader();
    const next = a.next();
    f.push({ type: "reconnect", server: "s" });
    expect((await next).value).toEqual({ type: "reconnect", server: "s" });
  });

  it("ends every reader after what it was handed, and one made after the end at once", async () => {
    const f = new StatusFanout();
    const a = f.reader();
    f.push({ type: "reconnect", server: "s" });
    const waiting = f.reader();
    const pending = waiting.next();
    f.push({ type: "disconnect", server: "s" });
    f.end();
    expect(await take(a, 5)).toEqual(["reconnect", "disconnect"]);
    expect((await pending).value).toEqual({ type: "disconnect", server: "s" });
    expect((await waiting.next()).done).toBe(true);
    expect((await f.reader().next()).done).toBe(true);
  });

  it("gives a stopped reader nothing more", async () => {
    const f = new StatusFanout();
    const a = f.reader();
    f.push({ type: "reconnect", server: "s" });
    a.stop();
    f.push({ type: "disconnect", server: "s" });
    expect((await a.next()).done).toBe(true);
    const b = f.reader();
    f.push({ type: "ping", pendingPings: 1 });
    for await (const s of b) {
      expect(s.type).toBe("ping");
      break; // return() detaches it
    }
    f.push({ type: "reconnect", server: "s" });
    expect((await b.next()).done).toBe(true);
  });
});
