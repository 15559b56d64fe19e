import { nameOf } from "../config/configObjects.js";
import { parseSubject, type ParsedSubject } from "./subjects.js";
import { assertNever, type DomainEvent } from "./types.js";

// Rule 1 of the subject layout: the server lets each credential publish only on subjects ending in its own identity,
// and this check makes the payload agree with the subject. An event whose payload names another node, VIP, address
// or allocator than its subject is refused by every projection, whoever managed to store it.

function mismatch(what: string, subjectValue: string, payloadValue: string): string | null {
  return subjectValue === payloadValue ? null : `the subject names ${what} "${subjectValue}" but the payload "${payloadValue}"`;
}

function expectKind<K extends ParsedSubject["kind"]>(parsed: ParsedSubject, kind: K, type: string): Extract<ParsedSubject, { kind: K }> | string {
  return parsed.kind === kind ? (parsed as Extract<ParsedSubject, { kind: K }>) : `${type} does not belong on this subject`;
}

/** Why `event` may not stand on `subject`, or null when subject and payload agree. */
export function identityProblem(subject: string, event: DomainEvent): string | null {
  const parsed = parseSubject(subject);
  switch (event.type) {
    case "NodeHeartbeatRecorded":
    case "NodePresence": {
      const s = expectKind(parsed, "heartbeat", event.type);
      return typeof s === "string" ? s : mismatch("node", s.node, event.data.node);
    }
    case "FenceEntered":
    case "FenceLeft":
    case "BgpSessionsChanged": {
      const s = expectKind(parsed, "announce", event.type);
      return typeof s === "string" ? s : mismatch("node", s.node, event.data.node);
    }
    case "NodeLeft":
    case "NodeFactsChanged":
    case "NodeRestarting": {
      const s = expectKind(parsed, "nodeLifecycle", event.type);
      return typeof s === "string" ? s : mismatch("node", s.node, event.data.node);
    }
    case "VipClaimed":
    case "VipConflictObserved": {
      const s = expectKind(parsed, event.type === "VipClaimed" ? "vip" : "conflict", event.type);
      if (typeof s === "string") return s;
      return mismatch("VIP", s.vip, event.data.vip) ?? (s.publisher === null ? null : mismatch("node", s.publisher, event.data.node));
    }
    case "IpAllocated":
    case "IpReleased": {
      const s = expectKind(parsed, "ip", event.type);
      if (typeof s === "string") return s;
      return mismatch("address", s.ip, event.data.ip) ?? (s.publisher === null ? null : mismatch("allocator", s.publisher, event.data.evidence.allocator));
    }
    case "NodeSuspected":
    case "NodeDeclaredDead":
    case "NodeAlive": {
      // Rule 1: the watcher is the subject's last token; the target its key.
      const s = expectKind(parsed, "member", event.type);
      if (typeof s === "string") return s;
      return mismatch("target", s.target, event.data.target) ?? mismatch("watcher", s.watcher, event.data.watcher);
    }
    case "ConfigObjectChanged":
    case "ConfigObjectDeleted": {
      const s = expectKind(parsed, "configObject", event.type);
      if (typeof s === "string") return s;
      const kind = event.type === "ConfigObjectChanged" ? event.data.item.kind : event.data.kind;
      const named = event.type === "ConfigObjectChanged" ? nameOf(event.data.item) : event.data.name;
      return mismatch("source", s.source, event.data.source) ?? mismatch("kind", s.objectKind, kind) ?? mismatch("object", s.name, event.data.name) ?? mismatch("object", event.data.name, named);
    }
    case "ConfigApplied": {
      const s = expectKind(parsed, "config", event.type);
      return typeof s === "string" ? s : mismatch("source", s.source, event.data.source);
    }
    default:
      return assertNever(event);
  }
}
