// Range checks for integer fields on the encode side: a value that does not fit its field is a caller bug reported as
// EncodeError naming the field, never silently truncated by the writer.
import { EncodeError } from "../codec/errors.js";

export function checkUint(v: number, max: number, field: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new EncodeError("BGP_BAD_FIELD", field, `${v} is not an integer in 0..${max}`);
}
