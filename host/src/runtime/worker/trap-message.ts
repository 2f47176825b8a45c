import { PolicyTrapError } from "@portcullis/sdk/component";

/**
 * How a trap reads in the gateway's log and failure records: the call, and what the policy's abort
 * said (`message at file:line:column`, from an assertion or an uncaught throw) when it went through
 * abort, else the engine's reason. Clients never see it: the message is the author's text.
 */
export function trapMessage(error: unknown): string {
  if (error instanceof PolicyTrapError) return `trapped in ${error.call}: ${error.detail}`;
  return `trapped: ${error instanceof Error ? error.message : String(error)}`;
}
