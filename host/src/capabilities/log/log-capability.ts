import type { Capabilities } from "../contract.js";
import { currentRequestId } from "../flow-scope.js";
import type { LineLogger } from "./json-line-logger.js";

const MAX_MESSAGE_CHARS = 8 * 1024;
const MAX_FIELDS = 32;

/**
 * The `log` capability: lines go to a child logger (pino's format) tagged with the policy
 * name and the current request id. Policy fields sit under `fields`, so they can
 * never overwrite pino's own keys (level, time, msg).
 */
export function createLog(logger: LineLogger, policyName: string): Capabilities["log"] {
  const child = logger.child({ policy: policyName });
  return {
    write(level, message, fields) {
      if (!child.isLevelEnabled(level)) return;
      const line: Record<string, unknown> = { requestId: currentRequestId() };
      if (fields.length > 0) {
        line.fields = Object.fromEntries(fields.slice(0, MAX_FIELDS).map((field) => [field.name, field.value]));
      }
      child[level](line, message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}...` : message);
    },
  };
}
