import type { L2Announcer } from "../../src/agents/speaker/announcer.js";
import type { AnswerSet } from "../../src/projections/answering.js";

/** Stands in for ARP where a test is about the log, not the link: it records the answer sets it is given. */
export class RecordingAnnouncer implements L2Announcer {
  current: AnswerSet = new Map();
  closed = false;
  update(answers: AnswerSet): void {
    this.current = new Map(answers);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}
