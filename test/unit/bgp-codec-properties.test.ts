// Properties of the BGP codec and framer: round trips, "arbitrary bytes decode or throw BgpDecodeError, never
// anything else", canonical fixpoints for mutated messages, and framing under arbitrary chunking.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BgpFramer } from "../../src/protocols/bgp/framer.js";
import { decode, encode, encodingLength, type BgpMessage, type MessageOptions } from "../../src/protocols/bgp/message.js";
import { BgpDecodeError } from "../../src/protocols/bgp/notificationCodes.js";
import { MARKER, catchError, hex, messageArb, toHex } from "../support/bgp.js";

const FOUR: MessageOptions = { fourOctetAs: true };
const TWO: MessageOptions = { fourOctetAs: false };

function decodeOrBgpError(bytes: Uint8Array, offset: number, opts: MessageOptions): BgpMessage | undefined {
  try {
    return decode(bytes, offset, opts).value;
  } catch (err) {
    if (!(err instanceof BgpDecodeError)) throw err;
    return undefined;
  }
}

function withoutErrors(m: BgpMessage): BgpMessage {
  if (m.type !== "update") return m;
  const { errors: _errors, ...rest } = m;
  return rest;
}

describe("BGP codec properties", () => {
  it.each([
    ["4-octet AS", FOUR],
    ["2-octet AS", TWO],
  ] as const)("encode(m).length === encodingLength(m) and decode(encode(m)) deep-equals m (%s)", (_name, opts) => {
    fc.assert(
      fc.property(messageArb(opts.fourOctetAs), (m) => {
        const bytes = encode(m, opts);
        expect(bytes.length).toBe(encodingLength(m, opts));
        expect(decode(bytes, 0, opts)).toEqual({ value: m, bytesRead: bytes.length });
      }),
      { numRuns: 1000 },
    );
  });

  it("arbitrary bytes either decode or throw BgpDecodeError, never anything else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(90), fc.boolean(), (bytes, offset, four) => {
        decodeOrBgpError(bytes, offset, four ? FOUR : TWO);
      }),
      { numRuns: 2000 },
    );
  });

  it("a valid header with an arbitrary body decodes or throws BgpDecodeError", () => {
    const arb = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.uint8Array({ maxLength: 120 }), fc.boolean());
    fc.assert(
      fc.property(arb, ([type, body, four]) => {
        const bytes = hex(`${MARKER}${(19 + body.length).toString(16).padStart(4, "0")}0${type}${toHex(body)}`);
        decodeOrBgpError(bytes, 0, four ? FOUR : TWO);
      }),
      { numRuns: 5000 },
    );
  });

  it("a valid message with one byte changed decodes to a canonical message (decode . encode is a fixpoint) or throws BgpDecodeError", () => {
    fc.assert(
      fc.property(messageArb(true), fc.nat(), fc.integer({ min: 0, max: 255 }), (m, where, value) => {
        const bytes = encode(m, FOUR);
        bytes[where % bytes.length] = value;
        const decoded = decodeOrBgpError(bytes, 0, FOUR);
        // RFC 7606 errors are not encoded: what was kept re-encodes to itself (a dropped attribute stays dropped).
        if (decoded !== undefined) expect(withoutErrors(decode(encode(decoded, FOUR), 0, FOUR).value)).toEqual(withoutErrors(decoded));
      }),
      { numRuns: 3000 },
    );
  });

  it("a valid message cut short anywhere throws BgpDecodeError", () => {
    fc.assert(
      fc.property(messageArb(true), fc.nat(), (m, cut) => {
        const bytes = encode(m, FOUR);
        const short = bytes.subarray(0, cut % bytes.length);
        expect(catchError(() => decode(short, 0, FOUR))).toBeInstanceOf(BgpDecodeError);
      }),
      { numRuns: 1000 },
    );
  });
});

/** Splits `bytes` at the given cut points (sorted, deduplicated, within range). */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.slice(from, p));
    from = p;
  }
  return out;
}

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

describe("BGP framer", () => {
  it("arbitrary chunking of a valid stream yields the same messages, holding back less than one message", () => {
    fc.assert(
      fc.property(fc.array(messageArb(true), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 20 }), (messages, cuts) => {
        const encoded = messages.map((m) => encode(m, FOUR));
        const framer = new BgpFramer();
        const frames: Uint8Array[] = [];
        for (const piece of chunk(concat(encoded), cuts)) {
          frames.push(...framer.push(piece));
          expect(framer.buffered).toBeLessThan(4096);
        }
        expect(frames.map(toHex)).toEqual(encoded.map(toHex));
        expect(framer.buffered).toBe(0);
        expect(frames.map((f) => decode(f, 0, FOUR).value)).toEqual(messages);
      }),
      { numRuns: 500 },
    );
  });

  it("delivers byte by byte", () => {
    const keepalive = hex(`${MARKER}001304`);
    const framer = new BgpFramer();
    const out: Uint8Array[] = [];
    for (const b of concat([keepalive, keepalive])) out.push(...framer.push(Uint8Array.of(b)));
    expect(out.map(toHex)).toEqual([toHex(keepalive), toHex(keepalive)]);
  });

  it("frames a 4096-octet message and keeps at most one partial message from a huge chunk", () => {
    const big = hex(`${MARKER}1000 03 0602 ${"00".repeat(4096 - 21)}`);
    const stream = concat([big, big, big.subarray(0, 4000)]);
    const framer = new BgpFramer();
    expect(framer.push(stream)).toHaveLength(2);
    expect(framer.buffered).toBe(4000);
    expect(framer.push(big.subarray(4000))).toHaveLength(1);
    expect(framer.buffered).toBe(0);
  });

  it.each([
    { name: "bad marker", stream: `${MARKER}001304 ${"00".repeat(16)}001304`, subcode: 1, offset: 19 },
    { name: "length 18", stream: `${MARKER}001204`, subcode: 2, offset: 16 },
    { name: "length 4097", stream: `${MARKER}001304 ${MARKER}100102`, subcode: 2, offset: 19 + 16 },
  ])("rejects a $name with 1/$subcode at stream offset $offset, and stays failed", ({ stream, subcode, offset }) => {
    const framer = new BgpFramer();
    const err = catchError(() => framer.push(hex(stream))) as BgpDecodeError;
    expect(err).toBeInstanceOf(BgpDecodeError);
    expect(err.notification).toMatchObject({ code: 1, subcode });
    expect(err.offset).toBe(offset);
    expect(framer.error).toBe(err);
    expect(framer.buffered).toBe(0);
    expect(catchError(() => framer.push(hex(`${MARKER}001304`)))).toBe(err);
  });

  it("rejects a bad header as soon as its 19 octets have arrived, across chunks", () => {
    const framer = new BgpFramer();
    expect(framer.push(hex(`${MARKER}00`))).toEqual([]);
    expect(catchError(() => framer.push(hex("0304")))).toMatchObject({ notification: { code: 1, subcode: 2 } });
  });

  it("arbitrary byte streams in arbitrary chunks yield frames or one BgpDecodeError, with bounded buffering", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }), fc.boolean(), (chunks, withMarker) => {
        const framer = new BgpFramer();
        const all = withMarker ? [hex(`${MARKER}`), ...chunks] : chunks;
        for (const c of all) {
          try {
            framer.push(c);
          } catch (err) {
            expect(err).toBeInstanceOf(BgpDecodeError);
            return;
          }
          expect(framer.buffered).toBeLessThan(4096);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
