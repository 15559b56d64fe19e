import { describe, expect, it } from "vitest";
import { DecodeError } from "../../src/protocols/codec/errors.js";
import { ByteReader } from "../../src/protocols/codec/reader.js";
import { ByteWriter } from "../../src/protocols/codec/writer.js";

const bytes = Uint8Array.from([0x01, 0x02, 0x03, 0x04, 0xff, 0xfe, 0xfd, 0xfc, 0x09]);

function codeOf(fn: () => unknown): { code: string; offset: number } | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof DecodeError) return { code: err.code, offset: err.offset };
    throw err;
  }
  return undefined;
}

describe("ByteReader", () => {
  it("reads big-endian integers and tracks the absolute offset", () => {
    const r = new ByteReader(bytes, 0);
    expect(r.u8()).toBe(0x01);
    expect(r.u16()).toBe(0x0203);
    expect(r.offset).toBe(3);
    expect(r.u32()).toBe(0x04fffefd); // crosses the sign bit without going negative
    expect(new ByteReader(bytes, 4).u32()).toBe(0xfffefdfc);
    expect(r.remaining).toBe(2);
  });

  it("returns views from bytesView and copies from bytesCopy", () => {
    const r = new ByteReader(bytes, 1);
    const view = r.bytesView(2);
    const copy = new ByteReader(bytes, 1).bytesCopy(2);
    expect(Array.from(view)).toEqual([0x02, 0x03]);
    expect(view.buffer).toBe(bytes.buffer);
    expect(copy.buffer).not.toBe(bytes.buffer);
  });

  it.each([
    { name: "u8 at the end", read: (r: ByteReader) => (r.skip(9), r.u8()), code: "TRUNCATED", offset: 9 },
    { name: "u16 with one byte left", read: (r: ByteReader) => (r.skip(8), r.u16()), code: "TRUNCATED", offset: 8 },
    { name: "u32 with three bytes left", read: (r: ByteReader) => (r.skip(6), r.u32()), code: "TRUNCATED", offset: 6 },
    { name: "bytes past the end", read: (r: ByteReader) => r.bytesView(10), code: "TRUNCATED", offset: 0 },
    { name: "negative length", read: (r: ByteReader) => r.bytesView(-1), code: "TRUNCATED", offset: 0 },
    { name: "sub-reader longer than the rest", read: (r: ByteReader) => (r.skip(2), r.sub(8)), code: "LENGTH_OVERFLOW", offset: 2 },
  ])("$name -> $code at $offset", ({ read, code, offset }) => {
    expect(codeOf(() => read(new ByteReader(bytes)))).toEqual({ code, offset });
  });

  it("limits a sub-reader to its declared length and moves the parent past it", () => {
    const r = new ByteReader(bytes);
    r.skip(1);
    const sub = r.sub(3);
    expect(r.offset).toBe(4);
    expect(sub.u16()).toBe(0x0203);
    expect(codeOf(() => sub.u16())).toEqual({ code: "TRUNCATED", offset: 3 }); // byte 4 exists, but not in the section
    expect(sub.u8()).toBe(0x04);
  });

  it("peeks at the next bytes without moving, bounds-checked like a read", () => {
    const r = new ByteReader(bytes, 2, 5);
    expect(Array.from(r.peek(2))).toEqual([0x03, 0x04]);
    expect(r.offset).toBe(2);
    expect(codeOf(() => r.peek(4))).toEqual({ code: "TRUNCATED", offset: 2 });
    expect(r.offset).toBe(2);
    expect(r.u8()).toBe(0x03);
  });

  it("rejects start and end offsets outside the buffer", () => {
    expect(codeOf(() => new ByteReader(bytes, 10))).toEqual({ code: "BAD_OFFSET", offset: 10 });
    expect(codeOf(() => new ByteReader(bytes, -1))).toEqual({ code: "BAD_OFFSET", offset: -1 });
    expect(codeOf(() => new ByteReader(bytes, 2, 1))).toEqual({ code: "BAD_OFFSET", offset: 2 });
    expect(new ByteReader(bytes, 9).remaining).toBe(0);
  });
});

describe("ByteWriter", () => {
  it("writes big-endian integers at an offset and counts bytes written", () => {
    const buf = new Uint8Array(12);
    const w = new ByteWriter(buf, 1).u8(0xab).u16(0x0102).u32(0xfffefdfc).bytes(Uint8Array.of(7)).zeros(2);
    expect(w.written).toBe(10);
    expect(Array.from(buf)).toEqual([0, 0xab, 1, 2, 0xff, 0xfe, 0xfd, 0xfc, 7, 0, 0, 0]);
  });

  it("throws RangeError instead of writing past the end", () => {
    const w = new ByteWriter(new Uint8Array(3), 2);
    expect(() => w.u16(1)).toThrow(RangeError);
    expect(() => new ByteWriter(new Uint8Array(3), 4)).toThrow(RangeError);
  });
});
