// Limits checked on a message's bytes before it is parsed, so an oversized or deeply nested message costs a length
// check and one scan, never a parse or a schema walk.
//
// Sizes: a ConfigApplied of old logs (`vipmesh.ev.config.<source>`) carried the whole cluster's objects in one NATS
// message, whose default and deployed max_payload is 1 MiB. Configuration is now one object per message
// (`vipmesh.ev.cfg.…`, design.md), held to 64 KiB like every other event: a claim, leave, report, object or heartbeat
// of a few hundred bytes (a heartbeat grows with interfaces and routes: 64 KiB holds about 50 interfaces of 20 routes
// each many times over). Depth: the deepest legitimate payload is a configuration's
// selector expression values (envelope, data, config, bgp, advertisements, [], ipAddressPoolSelectors, [],
// matchExpressions, [], values, []: 12); 32 leaves room for later versions.

export const MAX_CONFIG_EVENT_BYTES = 1024 * 1024;
export const MAX_EVENT_BYTES = 64 * 1024;
export const MAX_EVENT_DEPTH = 32;

const isWholeConfigSubject = (subject: string): boolean => subject.startsWith("vipmesh.ev.config.");

/** The byte limit for a message on `subject`. */
export const maxEventBytes = (subject: string): number => (isWholeConfigSubject(subject) ? MAX_CONFIG_EVENT_BYTES : MAX_EVENT_BYTES);

const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The deepest nesting of objects and arrays in JSON text (brackets inside strings do not count); stops past `limit`. */
export function jsonDepth(bytes: Uint8Array, limit = MAX_EVENT_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
      deepest = Math.max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) depth--;
  }
  return deepest;
}
