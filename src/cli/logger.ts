import { Option } from "commander";
import { pino, type Logger } from "pino";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/** `--log-level`, checked by commander: a bad value is refused with the list of valid levels. */
export function logLevelOption(): Option {
  return new Option("--log-level <level>", "log lines at this level and above").choices(LOG_LEVELS).default("info");
}

/**
 * One JSON logger per process. `base` names the process (agent, node or id) once: neither child loggers nor log
 * calls repeat these keys, or every line would carry them twice.
 */
export function createLogger(level: string | undefined, base: Record<string, string | undefined>): Logger {
  return pino({ level: level ?? "info", base });
}

/** For commands whose stdout is their answer (replay, ipam-status): warnings go to stderr. */
export function stderrLogger(): Logger {
  return pino({ level: "warn", base: null }, pino.destination(2));
}
