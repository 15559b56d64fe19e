import { describe, expect, it } from "vitest";
import { FrrCommandError, withoutPasswords } from "../../src/adapters/frr/frrDaemons.js";

// FRR mode hands bgpd the BGPPeer's MD5 password on a `neighbor … password` line; when FRR refuses or remarks on a
// line, what is logged must not carry the value (no secret in a log line).

describe("FRR messages without passwords", () => {
  it("hides the value of every password line, and nothing else", () => {
    expect(withoutPasswords("neighbor 198.18.0.1 password s3cr3t-MD5\nneighbor 198.18.0.1 timers 3 9")).toBe("neighbor 198.18.0.1 password <hidden>\nneighbor 198.18.0.1 timers 3 9");
  });

  it("an error about a refused password line names the line, not the password", () => {
    const err = new FrrCommandError("applying configuration", "neighbor 198.18.0.1 password s3cr3t-MD5: % Unknown command");
    expect(err.message).toContain("neighbor 198.18.0.1 password <hidden>");
    expect(`${err.message} ${err.output}`).not.toContain("s3cr3t-MD5");
  });
});
