import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// deploy/image/Containerfile is not built by the tests (that would pull base images); these checks keep it in step
// with the repository and with scripts/build-image.sh, which is built and run (test/lab/container-image.test.ts).

const repo = fileURLToPath(new URL("../..", import.meta.url));
const read = (path: string): string => readFileSync(join(repo, path), "utf8");
const containerfile = read("deploy/image/Containerfile");
const buildImage = read("scripts/build-image.sh");
const ignored = read(".dockerignore").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));

/** Sources of the COPY lines that take files from the build context (not --from another stage). */
function contextSources(): string[] {
  return containerfile
    .split("\n")
    .filter((line) => line.startsWith("COPY ") && !line.includes("--from="))
    .flatMap((line) => line.split(/\s+/).slice(1, -1));
}

describe("deploy/image/Containerfile", () => {
  it("copies only paths that exist and that .dockerignore lets into the build context", () => {
    const sources = contextSources();
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) {
      expect(existsSync(join(repo, src)), `${src} does not exist`).toBe(true);
      expect(ignored.some((pattern) => src === pattern || src.startsWith(`${pattern}/`)), `${src} is in .dockerignore`).toBe(false);
    }
  });

  it("copies every script npm run build runs", () => {
    const build = (JSON.parse(read("package.json")) as { scripts: { build: string } }).scripts.build;
    const scripts = [...build.matchAll(/node (scripts\/\S+)/g)].map((m) => m[1] ?? "");
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) {
      expect(contextSources(), `the build stage runs npm run build, which needs ${script}`).toContain(script);
      expect(buildImage, `scripts/build-image.sh builds from a copy of its INPUTS, which needs ${script}`).toMatch(new RegExp(`INPUTS=\\(.*${script.replace(/[.]/g, "\\.")}`));
    }
  });

  it("has the user and entrypoint scripts/build-image.sh gives its image", () => {
    const uid = /APP_USER_ID=(\d+)/.exec(buildImage)?.[1];
    expect(uid).toBeDefined();
    expect(containerfile).toContain(`USER ${uid}:${uid}`);
    expect(containerfile).toContain(`useradd --uid ${uid} --gid ${uid}`);
    const entrypoint = /--config\.entrypoint (\S+)/.exec(buildImage)?.[1];
    expect(containerfile).toContain(`ENTRYPOINT ["${entrypoint}"]`);
  });
});
