// Where a speaker reads BGPPeer passwords itself (bgpPasswords.ts checks them against the log's hash): its own
// configuration file for the file source (never a path taken from the log), or the API server
// (kubePasswordReader.ts).
import { readFile } from "node:fs/promises";
import { passwordInObjects } from "../../config/bgpPassword.js";
import { readManifestDocuments } from "../../config/manifestDocuments.js";
import type { BgpPasswordRef } from "../../config/types.js";
import type { PasswordReader } from "./bgpPasswords.js";

export function filePasswordReader(path: string): PasswordReader {
  return {
    where: path,
    async read(ref) {
      return passwordInObjects(readManifestDocuments(await readFile(path, "utf8")).objects, ref);
    },
  };
}
