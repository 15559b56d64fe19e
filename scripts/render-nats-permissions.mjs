// Writes the files generated from the roles in src/events/permissions.ts: the authorization block of
// deploy/nats/nats-server.conf, deploy/helm/vipmesh/files/nats-permissions.json and the roles table of docs/design.md. Run `npm run build` first;
// test/unit/nats-permissions.test.ts fails when either file is stale.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CHART_PERMISSIONS_PATH, DEPLOY_CONF_PATH, DESIGN_PATH, renderChartPermissions, withAuthorizationBlock, withRolesTable } from "../dist/events/deployAuthorization.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const conf = join(root, DEPLOY_CONF_PATH);
writeFileSync(conf, withAuthorizationBlock(readFileSync(conf, "utf8")));
const chart = join(root, CHART_PERMISSIONS_PATH);
mkdirSync(dirname(chart), { recursive: true });
writeFileSync(chart, renderChartPermissions());
const design = join(root, DESIGN_PATH);
writeFileSync(design, withRolesTable(readFileSync(design, "utf8")));
process.stdout.write(`wrote ${DEPLOY_CONF_PATH} (authorization), ${CHART_PERMISSIONS_PATH} and ${DESIGN_PATH} (roles table)\n`);
