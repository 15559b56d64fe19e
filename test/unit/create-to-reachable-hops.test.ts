// The hop breakdown of create-to-reachable: stamps from the log, the speakers' lines and the client, split per hop.
import { describe, expect, it } from "vitest";
import { answeringTimes, hopFigures, LogStamps, trialPrefixes, type TrialStamps } from "../../src/bench/createToReachableHops.js";
import { ProbeLog } from "../../src/lab/prober.js";

const trial = (applied: number, over: Partial<TrialStamps> = {}): TrialStamps => ({
  applied, kubectlExited: applied + 100, watchAdded: applied + 90, configLogged: applied + 92, allocationLogged: applied + 100,
  claimLogged: applied + 105, speakerAnswering: applied + 110, garpOnWire: applied + 111, reachable: applied + 120, statusWritten: applied + 130, ...over,
});

describe("create-to-reachable hops", () => {
  it("times each hop from the stamp before it, and the asides from the apply", () => {
    const f = hopFigures([trial(0), trial(1_000, { allocationLogged: 1_120, claimLogged: 1_125 })]);
    expect(f).toMatchObject({ hop_api_watch_p50_ms: 90, hop_ingest_publish_p50_ms: 2, hop_allocate_p50_ms: 8, hop_allocate_p99_ms: 28, hop_claim_p50_ms: 5 });
    expect(f).toMatchObject({ hop_client_detect_p50_ms: 9, aside_kubectl_exit_p50_ms: 100, aside_status_written_p99_ms: 130 });
  });

  it("leaves out a trial whose stamp was not seen, for the hops on either side of it only", () => {
    const f = hopFigures([trial(0, { garpOnWire: null }), trial(1_000, { garpOnWire: 1_115 })]);
    expect(f["hop_announce_garp_p50_ms"]).toBe(5);
    expect(f["hop_client_detect_p99_ms"]).toBe(5);
    expect(f["hop_claim_p99_ms"]).toBe(5);
  });

  it("keeps the first stored message on each trial's subjects, not later ones on the same chain", () => {
    const p = trialPrefixes("default/bench1", "198.18.0.211");
    const stamps = new LogStamps([p.config, p.ip, p.vip]);
    const msg = (subject: string, time: number) => ({ meta: { stream: "EVENTS" as const, seq: time, time, subject }, data: new Uint8Array() });
    stamps.add([msg("vipmesh.ev.ip.198_18_0_21.allocator1", 1), msg(`${p.ip}allocator2`, 5), msg(`${p.vip}node1`, 7), msg(`${p.vip}node2`, 9)]);
    stamps.add([msg(p.config, 11)]);
    expect([stamps.at(p.ip), stamps.at(p.vip), stamps.at(p.config)]).toEqual([5, 7, 11]);
  });

  it("reads when a speaker first answered for each VIP from its JSON log lines", () => {
    const lines = ['{"time":5,"vip":"198.18.0.210","msg":"answering and announcing"}', "not json answering and announcing", '{"time":9,"vip":"198.18.0.210","msg":"answering and announcing"}', '{"time":7,"vip":"198.18.0.211","msg":"stopped answering"}'];
    expect([...answeringTimes(lines)]).toEqual([["198.18.0.210", 5]]);
  });

  it("takes the client's first answer as the earliest completion, not the earliest-started success", () => {
    const probes = new ProbeLog();
    probes.add({ t: 100, ok: true, node: "node1", ms: 50, err: null, status: 200 });
    probes.add({ t: 110, ok: true, node: "node1", ms: 20, err: null, status: 200 });
    probes.add({ t: 90, ok: true, node: "node1", ms: 1, err: null, status: 200 });
    probes.add({ t: 120, ok: false, node: null, ms: 1, err: "timeout", status: null });
    expect(probes.firstAnswerAfter(100)).toBe(130);
  });
});
