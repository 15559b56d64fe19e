// The keys fencing probes are signed with. A key file holds one key per line, `<id> <base64 secret>`; `#` starts a
// comment. The first key signs what this speaker sends; every listed key is accepted, so a rotation is: add the new key
// last on every node, then move it first on every node, then remove the old one.

export type ProbeKeyring = {
  /** The key id this speaker signs with. */
  readonly sendId: number;
  /** Every key accepted, by id (the sending key included). */
  readonly keys: ReadonlyMap<number, Uint8Array>;
};

const MIN_PROBE_KEY_BYTES = 32;
const MAX_PROBE_KEYS = 8;

/** Key id 0 is reserved for --insecure-probes: a key everyone knows, so the tag proves nothing but integrity. */
const INSECURE_PROBE_KEY_ID = 0;
export const INSECURE_PROBE_KEYRING: ProbeKeyring = {
  sendId: INSECURE_PROBE_KEY_ID,
  keys: new Map([[INSECURE_PROBE_KEY_ID, new TextEncoder().encode("vipmesh insecure fencing probes")]]),
};

export class ProbeKeyError extends Error {
  override readonly name = "ProbeKeyError";
  readonly code = "PROBE_KEY_INVALID";
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function parseLine(line: string, where: string): [number, Uint8Array] {
  const [idText = "", secretText = "", ...extra] = line.split(/\s+/);
  if (extra.length > 0 || secretText === "") throw new ProbeKeyError(`${where}: expected "<key id> <base64 secret>"`);
  const id = Number(idText);
  if (!/^\d+$/.test(idText) || id < 1 || id > 0xffff) throw new ProbeKeyError(`${where}: key id "${idText}" is not 1..65535 (0 is reserved for --insecure-probes)`);
  if (!BASE64.test(secretText)) throw new ProbeKeyError(`${where}: key ${id}: the secret is not base64`);
  const secret = Uint8Array.from(Buffer.from(secretText, "base64"));
  if (secret.length < MIN_PROBE_KEY_BYTES) throw new ProbeKeyError(`${where}: key ${id}: the secret has ${secret.length} bytes, at least ${MIN_PROBE_KEY_BYTES} are needed (openssl rand -base64 32)`);
  return [id, secret];
}

/** Parses a key file's text; `source` names it in errors (the file's path). */
export function parseProbeKeys(text: string, source: string): ProbeKeyring {
  const keys = new Map<number, Uint8Array>();
  let sendId: number | null = null;
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") continue;
    const where = `${source}: line ${index + 1}`;
    const [id, secret] = parseLine(line, where);
    if (keys.has(id)) throw new ProbeKeyError(`${where}: key id ${id} is listed twice`);
    if (keys.size === MAX_PROBE_KEYS) throw new ProbeKeyError(`${where}: more than ${MAX_PROBE_KEYS} keys`);
    keys.set(id, secret);
    sendId ??= id;
  }
  if (sendId === null) throw new ProbeKeyError(`${source}: no key (a line "<key id> <base64 secret>" is needed)`);
  return { sendId, keys };
}
