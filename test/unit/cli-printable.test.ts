import { describe, expect, it } from "vitest";
import { formatReport } from "../../src/cli/validateCommand.js";

describe("validate's text report", () => {
  it("shows control characters from a hostile file as escapes, never raw", () => {
    const reason = 'YAML: bad key "\u001b]0;owned\u0007\u001b[2J" at line 1\n  next line\tcolumn';
    const text = formatReport({ files: ["evil\u001b.yaml"], valid: false, problems: [{ severity: "error", object: "document 1", field: "", reason }] });
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain("\\u001b]0;owned\\u0007");
    expect(text).toContain("\n  next line\tcolumn");
  });
});
