import type { AnswerSet } from "../../projections/answering.js";

/** The L2 effect port: the speaker says which VIPs to answer on which interface; the adapter does the rest. */
export interface L2Announcer {
  /** Replace the answer set; VIPs new to it get a gratuitous burst. */
  update(answers: AnswerSet): void;
  close(): Promise<void>;
}
