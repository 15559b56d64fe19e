import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

// Debian's chromium, headless, for tests that open a page vipmesh wrote. It runs in a new, empty network namespace
// (unshare), so a page that tried to fetch anything could not, and the browser itself reaches nothing.

const run = promisify(execFile);
export const CHROMIUM = "/usr/bin/chromium";

export type BrowserPage = { dom: string };

function argv(file: string, output: string[], width: number, height: number, profile: string): string[] {
  const browser = [
    CHROMIUM,
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    `--user-data-dir=${profile}`,
    `--window-size=${width},${height}`,
    ...output,
    `file://${resolve(file)}`,
  ];
  return process.getuid?.() === 0 ? ["--net", ...browser] : ["--map-root-user", "--net", ...browser];
}

async function chromium(file: string, output: string[], width: number, height: number): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), "vipmesh-chromium-"));
  try {
    const [cmd, ...args] = ["unshare", ...argv(file, output, width, height, profile)];
    const { stdout } = await run(cmd ?? "unshare", args, { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The DOM as Chromium built it from the file (serialized after load). */
export function dumpDom(file: string): Promise<string> {
  return chromium(file, ["--dump-dom"], 1240, 1000);
}

/** A PNG of the page's first `height` pixels at `width`. */
export async function screenshot(file: string, png: string, width = 1240, height = 1000): Promise<void> {
  await chromium(file, [`--screenshot=${resolve(png)}`], width, height);
}
