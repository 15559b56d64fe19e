// Public surface of the lab library (used by `vipmesh lab`, the lab tests and the failover benchmark).
export { Lab, createLab, labUnavailableReason } from "./lab.js";
export type { LabOptions } from "./lab.js";
export { ArpCapture, answersByIp, findConflicts, toAnswer } from "./capture.js";
export type { AnswerConflict, AnswerKind, NeighborAnswer } from "./capture.js";
export { ProbeLog, Prober, parseProbeLine } from "./prober.js";
export type { ProbeResult, ProberOptions } from "./prober.js";
export { creatorPid, listNamespaces, newRunPrefix, pidAlive, sweepStaleNamespaces } from "./naming.js";
export { NATS_SERVER_VERSION, labScript, natsServerPath, vipmeshArgv, vipmeshCliPath } from "./paths.js";
export { decodeNeighbor, parsePcap } from "./pcap.js";
export type { NeighborPacket } from "./pcap.js";
export { BACKEND_PORT, dnatRules } from "./backend.js";
export { NATS_PORT } from "./nats.js";
export type { HostForward } from "./forward.js";
export { sleep, waitFor } from "./run.js";
export {
  LAB_V4_CIDR, LAB_V6_CIDR, VIP_V4_FIRST, VIP_V4_LAST, nodeRole, roleIp, roleIp6, roleMac, vipPool,
} from "./topology.js";
export { silentLog } from "./types.js";
export type { LabContext, LabLogger, LabRole, ProcExit, ProcHandle, SpawnOptions } from "./types.js";
