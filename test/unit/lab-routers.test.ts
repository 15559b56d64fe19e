import { describe, expect, it } from "vitest";
import { birdConfig, parseBirdRoutes } from "../../src/lab/birdDaemon.js";
import { frrPeerConfig } from "../../src/lab/frrPeerDaemon.js";
import { gobgpConfig, lastGobgpShutdownMessage, parseGobgpRib } from "../../src/lab/gobgpDaemon.js";
import type { RouterSpec } from "../../src/lab/routerDaemon.js";

// The lab's BIRD 2, GoBGP and FRR routers (src/lab/routerDaemon.ts): the configuration each gets from one spec, and
// how their output is read back. Sample outputs are from birdc 2.0.12 and gobgp 3.10 (Debian 12).

const spec: RouterSpec = {
  asn: 64700,
  routerId: "198.18.0.4",
  holdTimeS: 9,
  neighbors: [
    { address: "198.18.0.11", asn: 64512, families: ["ipv4", "ipv6"] },
    { address: "2001:db8:0:1::12", asn: 64512, password: "s3cret" },
  ],
};

describe("lab router configurations", () => {
  it("BIRD: one protocol per neighbor, its channels, hold/keepalive, password", () => {
    const conf = birdConfig(spec, "/tmp/x/bird.log");
    expect(conf).toContain("protocol bgp n0 {\n  local as 64700;\n  neighbor 198.18.0.11 as 64512;\n  hold time 9; keepalive time 3;");
    expect(conf).toContain("  ipv4 { import all; export none; };\n  ipv6 { import all; export none; };\n}");
    expect(conf).toMatch(/protocol bgp n1 \{\n {2}local as 64700;\n {2}neighbor 2001:db8:0:1::12 as 64512;[^}]*password "s3cret";\n {2}ipv6 \{ import all; export none; \};\n\}/);
  });

  it("GoBGP: a neighbor table each, with timers and the AFI-SAFIs", () => {
    const conf = gobgpConfig(spec);
    expect(conf.split("[[neighbors]]")).toHaveLength(3);
    expect(conf).toContain('    neighbor-address = "198.18.0.11"\n    peer-as = 64512\n  [neighbors.timers.config]\n    hold-time = 9\n    keepalive-interval = 3');
    expect(conf.match(/afi-safi-name = "ipv\d-unicast"/g)).toEqual(['afi-safi-name = "ipv4-unicast"', 'afi-safi-name = "ipv6-unicast"', 'afi-safi-name = "ipv6-unicast"']);
    expect(conf).toContain('auth-password = "s3cret"');
  });

  it("FRR: neighbors activated in the families they carry", () => {
    const conf = frrPeerConfig(spec);
    expect(conf).toContain(" address-family ipv4 unicast\n  neighbor 198.18.0.11 activate\n exit-address-family");
    expect(conf).toContain(" address-family ipv6 unicast\n  neighbor 198.18.0.11 activate\n  neighbor 2001:db8:0:1::12 activate\n exit-address-family");
    expect(conf).toContain(" neighbor 2001:db8:0:1::12 password s3cret");
  });
});

describe("lab router output", () => {
  it("BIRD: every path of `show route <prefix> all` with its sender and global next hop", () => {
    const text = [
      "BIRD 2.0.12 ready.",
      "Table master6:",
      "2001:db8:100::10/128 unicast [n1 16:12:03.947 from 198.18.0.12] * (100) [AS64512i]",
      "\tvia 2001:db8:0:1::12 on eth0",
      "\tType: BGP univ",
      "\tBGP.next_hop: 2001:db8:0:1::12",
      "                     unicast [n0 16:12:03.954 from 198.18.0.11] (100) [AS64512i]",
      "\tvia 2001:db8:0:1::11 on eth0",
      "\tBGP.next_hop: 2001:db8:0:1::11 fe80::11",
      "",
    ].join("\n");
    const neighbors = ["198.18.0.11", "198.18.0.12"];
    expect(parseBirdRoutes(text, (p) => neighbors[Number(p.slice(1))])).toEqual([
      { from: "198.18.0.11", nextHop: "2001:db8:0:1::11" },
      { from: "198.18.0.12", nextHop: "2001:db8:0:1::12" },
    ]);
  });

  it("GoBGP: paths of `global rib` by neighbor, from MP_REACH_NLRI or NEXT_HOP", () => {
    const json = JSON.stringify({
      "2001:db8:100::10/128": [
        { attrs: [{ type: 1, value: 0 }, { type: 14, nexthop: "2001:db8:0:1::12", afi: 2, safi: 1 }], "neighbor-ip": "198.18.0.12" },
        { attrs: [{ type: 14, nexthop: "2001:db8:0:1::11", afi: 2, safi: 1 }], "neighbor-ip": "198.18.0.11" },
      ],
      "198.18.100.10/32": [{ attrs: [{ type: 3, nexthop: "198.18.0.11" }], "neighbor-ip": "198.18.0.11" }],
    });
    expect(parseGobgpRib(json, "2001:db8:100::10/128")).toEqual([
      { from: "198.18.0.11", nextHop: "2001:db8:0:1::11" },
      { from: "198.18.0.12", nextHop: "2001:db8:0:1::12" },
    ]);
    expect(parseGobgpRib(json, "198.18.100.10/32")).toEqual([{ from: "198.18.0.11", nextHop: "198.18.0.11" }]);
    expect(parseGobgpRib("", "198.18.100.10/32")).toEqual([]);
  });

  it("GoBGP: the last shutdown communication from one neighbor in gobgpd's JSON log", () => {
    const log = [
      '{"Key":"198.18.0.11","State":"BGP_FSM_OPENCONFIRM","Topic":"Peer","level":"info","msg":"Peer Up"}',
      '{"Code":6,"Communicated-Reason":"first","Key":"198.18.0.11","Subcode":2,"Topic":"Peer","level":"warning","msg":"received notification"}',
      '{"Code":6,"Communicated-Reason":"other node","Key":"198.18.0.12","Subcode":2,"Topic":"Peer","level":"warning","msg":"received notification"}',
      '{"Code":6,"Communicated-Reason":"vipmesh: node draining","Key":"198.18.0.11","Subcode":2,"Topic":"Peer","level":"warning","msg":"received notification"}',
      "",
    ].join("\n");
    expect(lastGobgpShutdownMessage(log, "198.18.0.11")).toBe("vipmesh: node draining");
    expect(lastGobgpShutdownMessage(log, "198.18.0.13")).toBeUndefined();
  });
});
