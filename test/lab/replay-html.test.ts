import { execFile } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { L2Cluster } from "../../src/lab/l2Cluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { vipmeshArgv } from "../../src/lab/paths.js";
import { nodeRole } from "../../src/lab/topology.js";
import { dumpDom, screenshot } from "../../src/testing/headlessChromium.js";
import { auditThenDestroy } from "../support/labAudit.js";

// A real failover in the lab (cable pulled and speaker killed), its log drawn by the compiled `vipmesh replay --html`,
// and the page opened by a real headless Chromium with no network at all. The screenshot is kept under build/lab/.

const VIP = "198.18.0.200";
const PAGE = "build/lab/replay-timeline.html";
const PNG = "build/lab/replay-timeline.png";
const unavailable = labUnavailableReason();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(unavailable !== undefined)("the HTML timeline of a lab failover, in Chromium", () => {
  let cluster: L2Cluster;
  let crashed = "";
  let successor = "";
  let dom = "";
  let cliOutput = "";

  beforeAll(async () => {
    cluster = await L2Cluster.start({ nodes: 3, vips: [VIP], log: pino({ level: "warn" }) });
    const owner = await cluster.waitForOwner(VIP, 20_000);
    await sleep(500);
    await cluster.crashNode(owner);
    const next = await cluster.waitForOwner(VIP, 5_000, owner);
    [crashed, successor] = [nodeRole(owner), nodeRole(next)];
    await sleep(500);
    mkdirSync("build/lab", { recursive: true });
    const [node, ...args] = vipmeshArgv("replay", "--nats", await cluster.lab.natsHostUrl(), ...cluster.lab.natsArgs("reader"), "--html", PAGE);
    cliOutput = (await promisify(execFile)(node ?? process.execPath, args, { timeout: 60_000 })).stdout;
    dom = await dumpDom(PAGE);
    await screenshot(PAGE, PNG);
  });

  afterAll(async () => {
    await auditThenDestroy(cluster, () => cluster.destroy());
  });

  const failoverArticle = (): string => /<article class="failover"[^>]*data-reason="owner-dead"[^>]*>[\s\S]*?<\/article>/.exec(dom)?.[0] ?? "";
  const row = (article: string, name: string): string => new RegExp(`<th>${name}</th><td>([\\s\\S]*?)</td></tr>`).exec(article)?.[1] ?? "";

  it("the command says where it wrote the page", () => {
    expect(cliOutput).toMatch(/wrote the HTML timeline \(1 VIP\(s\), 1 failover\(s\)\) to \/.*replay-timeline\.html/);
  });

  it("shows the failover: from the crashed node to its successor, owner-dead, with its evidence", () => {
    const article = failoverArticle();
    expect(article).toContain(`${VIP}: ${crashed} → ${successor}`);
    const stamp = /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z/;
    expect(row(article, "owner last heard")).toMatch(stamp);
    expect(row(article, "declared dead")).toMatch(stamp);
    expect(row(article, "claimed by")).toContain(successor);
    expect(row(article, "gap a client could see")).toMatch(/^up to \d+ ms/);
    expect(Number(/up to (\d+) ms/.exec(row(article, "gap a client could see"))?.[1])).toBeGreaterThanOrEqual(300);
    expect(row(article, "evidence")).toMatch(/silent for \d+ ms of live log time/);
  });

  it("puts the claim's reason and evidence on its mark, and the crashed node's membership ends dead", () => {
    const claimTip = [...dom.matchAll(/<g data-seq="\d+"><title>([^<]*)<\/title><circle class="mark mark-claim"/g)].map((m) => m[1] ?? "").find((t) => t.includes("owner-dead"));
    expect(claimTip).toContain(`${successor} claimed ${VIP}`);
    expect(claimTip).toContain("reason: owner-dead");
    expect(claimTip).toContain(`previous owner: ${crashed}`);
    expect(claimTip).toMatch(/silent for \(live log time\): \d+ ms/);
    expect(dom).toMatch(new RegExp(`<g class="member member-dead"><title>${crashed} dead`));
    expect(dom).not.toContain("Membership detail has aged out");
  });

  it("--vip draws only that VIP", async () => {
    const [node, ...args] = vipmeshArgv("replay", "--nats", await cluster.lab.natsHostUrl(), ...cluster.lab.natsArgs("reader"), "--html", "build/lab/replay-other-vip.html", "--vip", "198.18.0.201");
    const { stdout } = await promisify(execFile)(node ?? process.execPath, args, { timeout: 60_000 });
    expect(stdout).toMatch(/wrote the HTML timeline \(0 VIP\(s\), 0 failover\(s\)\)/);
  });

  it("keeps a screenshot of the page", () => {
    const png = readFileSync(PNG);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.length).toBeGreaterThan(20_000);
  });
});

describe.skipIf(unavailable !== undefined)("the demo (vipmesh lab)", () => {
  it("ends by writing the HTML timeline of its failover and saying where it is, with no helm (make demo builds none)", async () => {
    const page = "build/lab/demo-timeline.html";
    const [node, ...args] = vipmeshArgv("lab", "--html", page);
    const noHelm = { ...process.env, VIPMESH_HELM_BIN_DIR: "/nonexistent/helm-is-not-built-for-the-demo" };
    const { stdout } = await promisify(execFile)(node ?? process.execPath, args, { timeout: 150_000, env: noHelm });
    const lines = stdout.trim().split("\n");
    expect(lines[lines.length - 2]).toBe("lab torn down.");
    expect(lines[lines.length - 1]).toMatch(/^the failover, drawn: \/.*build\/lab\/demo-timeline\.html \(open it in a browser; it needs no network\)$/);
    expect(await dumpDom(page)).toMatch(/<article class="failover"[^>]*data-reason="owner-dead"/);
  }, 180_000);
});
