// Scenario tests for the BFD session FSM (RFC 5880 6.2, 6.8), as data: each step is (time ms, input) -> the actions
// it produces (one line each, see `line`). No real time passes; jitter is 0 unless a step says otherwise.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BfdState } from "../../src/protocols/bfd/constants.js";
import { encode, type BfdControlPacket } from "../../src/protocols/bfd/controlPacket.js";
import { initialBfdSession, stepBfd } from "../../src/protocols/bfd/session.js";
import { nextBfdDeadline, type BfdSessionAction, type BfdSessionConfig, type BfdSessionInput, type BfdSessionState } from "../../src/protocols/bfd/sessionTypes.js";

const LOCAL = 1;
const REMOTE = 2;
const config: BfdSessionConfig = { localDiscriminator: LOCAL, desiredMinTxUs: 300_000, requiredMinRxUs: 300_000, detectMult: 3, passive: false };

function line(a: BfdSessionAction): string {
  switch (a.type) {
    case "send": {
      const p = a.packet;
      const flags = `${p.poll ? " P" : ""}${p.final ? " F" : ""}`;
      return `send ${p.state}${flags} diag=${p.diag} your=${p.yourDiscriminator} tx=${p.desiredMinTxUs} rx=${p.requiredMinRxUs}`;
    }
    case "stateChanged":
      return `${a.from} -> ${a.to} diag=${a.diag}`;
    case "dropped":
      return `drop ${a.reason}`;
  }
}

type RemoteFields = Partial<Omit<BfdControlPacket, "state">>;
const from = (state: BfdState, o: RemoteFields = {}): BfdSessionInput => ({
  type: "packet",
  packet: {
    diag: 0, state, poll: false, final: false, controlPlaneIndependent: false, demand: false, detectMult: 3,
    myDiscriminator: REMOTE, yourDiscriminator: state === "down" || state === "adminDown" ? 0 : LOCAL,
    desiredMinTxUs: 1_000_000, requiredMinRxUs: 300_000, requiredMinEchoRxUs: 0, ...o,
  },
});
const START: BfdSessionInput = { type: "start" };
const STOP: BfdSessionInput = { type: "stop" };
const TICK: BfdSessionInput = { type: "tick" };
const configure = (o: Partial<BfdSessionConfig>): BfdSessionInput => ({ type: "configure", timers: { ...config, ...o } });

type Step = readonly [at: number, input: BfdSessionInput, expected: readonly string[], jitter?: number];

function run(steps: readonly Step[], start: BfdSessionState = initialBfdSession(config)): BfdSessionState {
  let s = start;
  for (const [at, input, expected, jitter] of steps) {
    const r = stepBfd(s, input, at, jitter ?? 0);
    expect({ at, input: input.type, actions: r.actions.map(line) }).toEqual({ at, input: input.type, actions: expected });
    s = r.state;
  }
  return s;
}

/** Down -> Init -> Up with an active peer, then the peer's own poll answered: both sides at 300 ms. */
const comeUp: readonly Step[] = [
  [0, START, ["adminDown -> down diag=0", "send down diag=0 your=0 tx=1000000 rx=300000"]],
  [100, from("down"), ["down -> init diag=0"]],
  [1000, TICK, ["send init diag=0 your=2 tx=1000000 rx=300000"]],
  [1050, from("init"), ["init -> up diag=0"]],
  [1350, TICK, ["send up P diag=0 your=2 tx=300000 rx=300000"]],
  [1400, from("up", { final: true }), []],
  [1450, from("up", { poll: true, desiredMinTxUs: 300_000 }), ["send up F diag=0 your=2 tx=300000 rx=300000"]],
];

describe("BFD session: coming up", () => {
  it("three-way handshake: slow (1 s) packets until Up, then a Poll Sequence to the profile's interval", () => {
    const s = run(comeUp);
    expect(s.state).toBe("up");
    expect(s.polling).toBe(false);
    expect(s.inEffect).toEqual({ desiredMinTxUs: 300_000, requiredMinRxUs: 300_000 });
    expect(s.upSince).toBe(1050);
    // Transmit at max(300 ms, remote's 300 ms); detection at 3 x max(300 ms, remote's 300 ms) after the last packet.
    expect(s.deadlines).toEqual({ transmit: 1650, detect: 1450 + 900 });
  });

  it("Down -> Up directly when the remote is already in Init", () => {
    run([
      [0, START, ["adminDown -> down diag=0", "send down diag=0 your=0 tx=1000000 rx=300000"]],
      [10, from("init"), ["down -> up diag=0"]],
    ]);
  });

  it("a remote Up while we are Down is ignored (no jump to Up)", () => {
    const s = run([
      [0, START, ["adminDown -> down diag=0", "send down diag=0 your=0 tx=1000000 rx=300000"]],
      [10, from("up"), []],
    ]);
    expect(s.state).toBe("down");
  });

  it("passive: silent until the remote speaks, then answers at once", () => {
    const passive = initialBfdSession({ ...config, passive: true });
    const s = run([
      [0, START, ["adminDown -> down diag=0"]],
      [5000, TICK, []],
      [5100, from("down"), ["down -> init diag=0", "send init diag=0 your=2 tx=1000000 rx=300000"]],
      [5200, from("up"), ["init -> up diag=0"]],
    ], passive);
    expect(s.state).toBe("up");
  });

  it("passive: goes quiet again when the remote is lost", () => {
    const passive = initialBfdSession({ ...config, passive: true });
    const s = run([
      [0, START, ["adminDown -> down diag=0"]],
      [100, from("down"), ["down -> init diag=0", "send init diag=0 your=2 tx=1000000 rx=300000"]],
      [3100, TICK, ["init -> down diag=1"]],
    ], passive);
    expect(s.deadlines).toEqual({});
    expect(s.remote.discriminator).toBe(0);
  });
});

describe("BFD session: going down", () => {
  it("detection time expires: Up -> Down with diag 1, back to slow packets, remote forgotten", () => {
    const up = run(comeUp);
    const s = run([
      [1650, TICK, ["send up diag=0 your=2 tx=300000 rx=300000"]],
      [1950, TICK, ["send up diag=0 your=2 tx=300000 rx=300000"]],
      [2250, TICK, ["send up diag=0 your=2 tx=300000 rx=300000"]],
      [2349, TICK, []],
      [2350, TICK, ["up -> down diag=1"]],
      [2550, TICK, ["send down diag=1 your=0 tx=1000000 rx=300000"]],
    ], up);
    expect(s.remote.discriminator).toBe(0);
    expect(s.counters.downCount).toBe(1);
    expect(s.deadlines.detect).toBeUndefined();
    expect(s.deadlines.transmit).toBe(3550);
  });

  it("the remote says AdminDown: Down with diag 3, and it does not come back until the remote is Down again", () => {
    const up = run(comeUp);
    const s = run([
      [1500, from("adminDown", { diag: 7 }), ["up -> down diag=3"]],
      [1600, from("adminDown", { diag: 7 }), []],
      [1650, TICK, ["send down diag=3 your=2 tx=1000000 rx=300000"]],
    ], up);
    expect(s.state).toBe("down");
    expect(s.remote.state).toBe("adminDown");
  });

  it("the remote says Down while we are Up: Down with diag 3", () => {
    const s = run([[1500, from("down", { diag: 1 }), ["up -> down diag=3"]]], run(comeUp));
    expect(s.localDiag).toBe(3);
  });

  it("stop: AdminDown with diag 7 at once, repeated for a detection time, then silence; received packets dropped", () => {
    const s = run([
      [1500, STOP, ["up -> adminDown diag=7", "send adminDown diag=7 your=2 tx=1000000 rx=300000"]],
      [1600, from("up"), ["drop adminDown"]],
      [2500, TICK, ["send adminDown diag=7 your=2 tx=1000000 rx=300000"]],
      [3500, TICK, ["send adminDown diag=7 your=2 tx=1000000 rx=300000"]],
      [4500, TICK, []],
      [9000, TICK, []],
    ], run(comeUp));
    expect(s.deadlines).toEqual({});
    expect(s.counters.dropped.adminDown).toBe(1);
  });

  it("start after stop: Down with diag 0 and packets again", () => {
    const stopped = run([[1500, STOP, ["up -> adminDown diag=7", "send adminDown diag=7 your=2 tx=1000000 rx=300000"]]], run(comeUp));
    run([[20_000, START, ["adminDown -> down diag=0", "send down diag=0 your=2 tx=1000000 rx=300000"]]], stopped);
  });
});

describe("BFD session: Poll Sequence (RFC 5880 6.5, 6.8.3)", () => {
  it("slower intervals while Up: Poll until Final, the old rates kept meanwhile, never leaving Up", () => {
    const s = run([
      [1500, configure({ desiredMinTxUs: 500_000, requiredMinRxUs: 500_000 }), []],
      [1650, TICK, ["send up P diag=0 your=2 tx=500000 rx=500000"]],
      [1700, from("up", { desiredMinTxUs: 300_000 }), []],
      [1950, TICK, ["send up P diag=0 your=2 tx=500000 rx=500000"]],
      [2000, from("up", { final: true, desiredMinTxUs: 300_000 }), []],
      [2250, TICK, ["send up diag=0 your=2 tx=500000 rx=500000"]],
      [2700, TICK, []],
      [2750, TICK, ["send up diag=0 your=2 tx=500000 rx=500000"]],
    ], run(comeUp));
    expect(s.state).toBe("up");
    expect(s.counters.downCount).toBe(0);
    expect(s.inEffect).toEqual({ desiredMinTxUs: 500_000, requiredMinRxUs: 500_000 });
  });

  it("a smaller receive interval keeps the old detection time until the Final", () => {
    const polling = run([[1500, configure({ requiredMinRxUs: 100_000 }), []]], run(comeUp));
    expect(polling.inEffect.requiredMinRxUs).toBe(300_000);
    const s = run([[1550, from("up", { desiredMinTxUs: 100_000 }), []]], polling);
    expect(s.deadlines.detect).toBe(1550 + 3 * 300);
    const done = run([[1600, from("up", { final: true, desiredMinTxUs: 100_000 }), []]], s);
    expect(done.deadlines.detect).toBe(1600 + 3 * 100);
  });

  it("a faster transmit interval applies at once", () => {
    const s = run([[1500, configure({ desiredMinTxUs: 100_000 }), []]], run(comeUp));
    // remote asks for at least 300 ms, so the interval stays 300 ms; a remote asking 50 ms lets it drop to 100 ms
    expect(s.deadlines.transmit).toBe(1650);
    const faster = run([[1510, from("up", { requiredMinRxUs: 50_000, desiredMinTxUs: 300_000 }), []]], s);
    expect(faster.deadlines.transmit).toBe(1610);
  });

  it("a second change during a poll waits for the Final, then polls again", () => {
    const s = run([
      [1500, configure({ desiredMinTxUs: 500_000 }), []],
      [1510, configure({ desiredMinTxUs: 700_000 }), []],
      [1650, TICK, ["send up P diag=0 your=2 tx=500000 rx=300000"]],
      [1700, from("up", { final: true, desiredMinTxUs: 300_000 }), []],
    ], run(comeUp));
    expect(s.polling).toBe(true);
    expect(s.advertised.desiredMinTxUs).toBe(700_000);
    expect(s.inEffect.desiredMinTxUs).toBe(500_000);
    expect(s.counters.pollSequences).toBe(3); // coming up, 500 ms, 700 ms
  });

  it("a remote Poll is answered with Final at once, also while Down and also when passive", () => {
    const passive = initialBfdSession({ ...config, passive: true });
    run([
      [0, START, ["adminDown -> down diag=0"]],
      [10, from("down", { poll: true }), ["down -> init diag=0", "send init F diag=0 your=2 tx=1000000 rx=300000", "send init diag=0 your=2 tx=1000000 rx=300000"]],
    ], passive);
  });
});

describe("BFD session: timers and drops", () => {
  it("jitter: 75-100 % of the interval per packet", () => {
    const s = run([[1500, TICK, []], [1650, TICK, ["send up diag=0 your=2 tx=300000 rx=300000"], 1]], run(comeUp));
    expect(s.deadlines.transmit).toBe(1650 + 225);
  });

  it("jitter with Detect Mult 1: 75-90 % of the interval", () => {
    const one = initialBfdSession({ ...config, detectMult: 1 });
    const first = stepBfd(one, START, 0, 0).state;
    expect(first.deadlines.transmit).toBe(900);
    expect(stepBfd(one, START, 0, 1).state.deadlines.transmit).toBe(750);
  });

  it("no periodic packets while the remote's Required Min RX is 0", () => {
    const s = run([
      [0, START, ["adminDown -> down diag=0", "send down diag=0 your=0 tx=1000000 rx=300000"]],
      [100, from("down", { requiredMinRxUs: 0 }), ["down -> init diag=0"]],
      [1000, TICK, []],
    ]);
    expect(s.deadlines.transmit).toBeUndefined();
  });

  it("a packet with the A bit is dropped: authentication is not in use", () => {
    const s = run([
      [0, START, ["adminDown -> down diag=0", "send down diag=0 your=0 tx=1000000 rx=300000"]],
      [100, from("down", { auth: { type: 1, data: new Uint8Array([1, 0x61]) } }), ["drop authNotInUse"]],
    ]);
    expect(s.state).toBe("down");
    expect(s.remote.discriminator).toBe(0);
    expect(s.counters.dropped.authNotInUse).toBe(1);
  });

  it("every packet it sends encodes, and a newly set transmit deadline is never closer than 75 % of the interval", () => {
    const inputArb = fc.oneof(
      fc.constant(TICK), fc.constant(START), fc.constant(STOP),
      fc.record({ state: fc.constantFrom<BfdState>("adminDown", "down", "init", "up"), poll: fc.boolean(), tx: fc.integer({ min: 10_000, max: 2_000_000 }) })
        .map(({ state, poll, tx }) => from(state, { poll, desiredMinTxUs: tx })),
      fc.integer({ min: 10_000, max: 2_000_000 }).map((tx) => configure({ desiredMinTxUs: tx })),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), inputArb, fc.double({ min: 0, max: 1, noNaN: true })), { maxLength: 60 }), (steps) => {
        let s = initialBfdSession(config);
        let now = 0;
        for (const [dt, input, jitter] of steps) {
          const due = nextBfdDeadline(s);
          now = due !== undefined && due < now + dt ? due : now + dt;
          const r = stepBfd(s, input, now, jitter);
          for (const a of r.actions) if (a.type === "send") encode(a.packet);
          const d = r.state.deadlines.transmit;
          const intervalOf = (x: BfdSessionState): number => Math.max(x.inEffect.desiredMinTxUs, x.remote.minRxUs) / 1000;
          const interval = Math.min(intervalOf(s), intervalOf(r.state)); // the timer may fire before the input changes it
          if (d !== undefined && d !== s.deadlines.transmit) expect(d - now).toBeGreaterThanOrEqual(0.75 * interval - 1e-6);
          s = r.state;
        }
      }),
      { numRuns: 500 },
    );
  });
});
