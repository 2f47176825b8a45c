import { pino, type DestinationStream, type Logger } from "pino";
import pretty from "pino-pretty";
import type { GatewayConfig } from "./config/schema.js";

/**
 * The gateway's logger: JSON lines, or pretty output when `format` is pretty (or auto on a terminal).
 * `destination` lets tests capture the access log.
 */
export function createLogger(config: GatewayConfig["logging"], destination?: DestinationStream): Logger {
  const options = { level: config.level, base: undefined };
  if (destination) return pino(options, destination);
  const usePretty = config.format === "pretty" || (config.format === "auto" && process.stdout.isTTY === true);
  if (usePretty) return pino(options, pretty({ colorize: true, singleLine: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" }));
  return pino(options, pino.destination({ dest: 1, sync: false }));
}
