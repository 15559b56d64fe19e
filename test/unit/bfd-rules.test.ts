// Small BFD rules as tables: interval negotiation, detection time, slow transmit while not Up, jitter bounds, the
// TTL (GTSM) rule of RFC 5881/5883, demultiplexing by discriminator or source, and the echo verdict.
import { describe, expect, it } from "vitest";
import type { BfdControlPacket } from "../../src/protocols/bfd/controlPacket.js";
import { demultiplex, type BfdSessionIndex } from "../../src/protocols/bfd/demux.js";
import { echoVerdict } from "../../src/protocols/bfd/echo.js";
import { profileMinimumTtl, profileTimers } from "../../src/protocols/bfd/profile.js";
import { advertisedDesiredMinTxUs, detectionTimeUs, jitteredIntervalMs, receiveTtlThreshold, transmitIntervalUs, ttlAccepted } from "../../src/protocols/bfd/timers.js";

describe("BFD timer arithmetic (RFC 5880 6.8.2-6.8.4, 6.8.7)", () => {
  it.each([
    [300_000, 300_000, 300_000],
    [50_000, 300_000, 300_000],
    [1_000_000, 50_000, 1_000_000],
  ])("transmit interval max(desired %i, remote required %i) = %i", (tx, rx, want) => {
    expect(transmitIntervalUs(tx, rx)).toBe(want);
  });

  it.each([
    [3, 300_000, 1_000_000, 3_000_000],
    [3, 300_000, 300_000, 900_000],
    [5, 50_000, 10_000, 250_000],
  ])("detection time %i x max(required %i, remote desired %i) = %i", (mult, rx, remoteTx, want) => {
    expect(detectionTimeUs(mult, rx, remoteTx)).toBe(want);
  });

  it.each([
    [300_000, false, 1_000_000],
    [2_000_000, false, 2_000_000],
    [300_000, true, 300_000],
  ])("advertised DesiredMinTx for %i (Up: %s) is %i", (configured, up, want) => {
    expect(advertisedDesiredMinTxUs(configured, up)).toBe(want);
  });

  it.each([
    [3, 0, 300],
    [3, 1, 225],
    [3, 0.5, 262.5],
    [1, 0, 270],
    [1, 1, 225],
    [3, 7, 225],
    [3, Number.NaN, 300],
  ])("jitter: 300 ms with Detect Mult %i and r = %d -> %d ms", (mult, r, want) => {
    expect(jitteredIntervalMs(300_000, mult, r)).toBeCloseTo(want, 9);
  });
});

describe("BFD TTL rule (RFC 5881 5, RFC 5883)", () => {
  it.each([
    [255, false, undefined, true],
    [254, false, undefined, false],
    [64, false, 1, false],
    [254, true, undefined, true],
    [253, true, undefined, false],
    [250, true, 250, true],
    [249, true, 250, false],
  ])("TTL %i, multihop %s, minimumTtl %s -> accepted %s", (ttl, multihop, min, want) => {
    expect(ttlAccepted(ttl, multihop, min)).toBe(want);
  });

  it("the threshold a socket filter enforces: 255 single hop, the profile's minimumTtl (254 by default) multihop", () => {
    expect(receiveTtlThreshold(false, 10)).toBe(255);
    expect(receiveTtlThreshold(true)).toBe(254);
    expect(receiveTtlThreshold(true, 200)).toBe(200);
  });
});

describe("BFD demultiplexing (RFC 5880 6.8.6)", () => {
  const packet = (yourDiscriminator: number): BfdControlPacket => ({
    diag: 0, state: yourDiscriminator === 0 ? "down" : "up", poll: false, final: false, controlPlaneIndependent: false, demand: false,
    detectMult: 3, myDiscriminator: 99, yourDiscriminator, desiredMinTxUs: 1, requiredMinRxUs: 1, requiredMinEchoRxUs: 0,
  });
  const index: BfdSessionIndex<string> = {
    byDiscriminator: (d) => (d === 7 ? { session: "A", peer: "198.18.0.1", multihop: false } : undefined),
    byPeer: (address, multihop) => (address === "198.18.0.1" && !multihop ? "A" : undefined),
  };
  it.each([
    ["by Your Discriminator", 7, "198.18.0.1", false, { session: "A" }],
    ["an unknown Your Discriminator", 8, "198.18.0.1", false, { drop: "unknownDiscriminator" }],
    ["our discriminator from another address", 7, "198.18.0.9", false, { drop: "discriminatorOfAnotherPeer" }],
    ["our discriminator on the multihop port", 7, "198.18.0.1", true, { drop: "discriminatorOfAnotherPeer" }],
    ["Your Discriminator 0: by source address", 0, "198.18.0.1", false, { session: "A" }],
    ["Your Discriminator 0 from an unknown peer", 0, "198.18.0.2", false, { drop: "noSessionForPeer" }],
  ] as const)("%s", (_name, your, address, multihop, want) => {
    expect(demultiplex(packet(your), { address, multihop }, index)).toEqual(want);
  });
});

describe("BFD echo function", () => {
  it("is never run, and says why", () => {
    expect(echoVerdict({ echoMode: false }, false)).toEqual({ run: false, reason: "notRequested" });
    expect(echoVerdict({ echoMode: true }, true)).toMatchObject({ run: false, reason: "multihop" });
    expect(echoVerdict({ echoMode: true }, false)).toMatchObject({ run: false, reason: "notSupported" });
  });
});

describe("BFDProfile to session parameters", () => {
  it("uses MetalLB's defaults for unset fields", () => {
    expect(profileTimers({})).toEqual({ desiredMinTxUs: 300_000, requiredMinRxUs: 300_000, detectMult: 3, passive: false });
    expect(profileMinimumTtl({})).toBe(254);
  });

  it("takes every field that is set (milliseconds to microseconds)", () => {
    expect(profileTimers({ receiveInterval: 50, transmitInterval: 100, detectMultiplier: 5, passiveMode: true })).toEqual({ desiredMinTxUs: 100_000, requiredMinRxUs: 50_000, detectMult: 5, passive: true });
    expect(profileMinimumTtl({ minimumTtl: 200 })).toBe(200);
  });
});
