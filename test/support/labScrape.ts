import type { LabContext, LabRole } from "../../src/lab/types.js";

// An HTTP GET made inside a lab namespace (node's own fetch, on that namespace's loopback): how a test reads a
// speaker's /readyz or /metrics without any lab interface in the root namespace.

const GET = `const [url] = process.argv.slice(1);
fetch(url, { signal: AbortSignal.timeout(5000) })
  .then(async (r) => process.stdout.write(r.status + "\\n" + (await r.text())))
  .catch((e) => process.stdout.write("0\\n" + String(e && e.cause ? e.cause.code || e.message : e)));`;

export type LabHttpAnswer = { status: number; body: string };

/** GET http://127.0.0.1:<port><path> inside `role`; status 0 when nothing answered (the body says why). */
export async function getInLab(lab: LabContext, role: LabRole, path: string, port = 7472): Promise<LabHttpAnswer> {
  const r = await lab.exec(role, [process.execPath, "-e", GET, `http://127.0.0.1:${port}${path}`], { allowFail: true, timeoutMs: 10_000 });
  const nl = r.stdout.indexOf("\n");
  return nl < 0 ? { status: 0, body: r.stdout + r.stderr } : { status: Number(r.stdout.slice(0, nl)), body: r.stdout.slice(nl + 1) };
}
