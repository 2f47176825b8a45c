import type { Header } from "@portcullis/sdk/component";
import { isHopByHop } from "../proxy/hop-by-hop.js";

/**
 * The one check of everything a policy produces (statuses, methods, targets, header names and
 * values) before the gateway uses it, so nothing a policy returns can break the wire or the process
 * (docs/policies.md, "What a policy may return"). Framing is the gateway's: a policy may not add,
 * change or remove content-length or a hop-by-hop header; it may only keep what was already there.
 */
export class InvalidPolicyOutput extends Error {
  constructor(
    readonly policy: string,
    reason: string,
  ) {
    super(`policy ${policy} returned invalid output: ${reason}`);
  }
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Latin-1 visible characters, space and tab (RFC 9110 field-value); no CR, LF, NUL or other controls. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** A path, or query, as it may go on the request line: visible ASCII only. */
const TARGET_PART = /^[\x21-\x7e]*$/;

/** Which policy of a chain made an edit is not reported back: checks and logs name the chain. */
export function namesOf(chain: readonly { name: string }[]): string {
  return chain.map((step) => step.name).join(", ");
}

export function checkStatus(policy: string, status: number): void {
  if (!Number.isInteger(status) || status < 200 || status > 599) throw new InvalidPolicyOutput(policy, `status ${status} is not a final status (200..599)`);
}

/** `before` is what the policy was given: framing headers in `after` must be exactly those. */
export function checkHeaders(policy: string, before: readonly Header[], after: readonly Header[]): void {
  for (const { name, value } of after) {
    if (!TOKEN.test(name)) throw new InvalidPolicyOutput(policy, `header name ${JSON.stringify(name)} is not a token`);
    if (!FIELD_VALUE.test(value))
      throw new InvalidPolicyOutput(policy, `header ${name} has a character that is not allowed (CR, LF, NUL, control or outside Latin-1)`);
  }
  if (framingOf(before) !== framingOf(after))
    throw new InvalidPolicyOutput(policy, "framing headers (content-length, transfer-encoding, connection, ...) are the gateway's");
}

export function checkRequestLine(policy: string, method: string, path: string, query: string): void {
  if (!TOKEN.test(method)) throw new InvalidPolicyOutput(policy, `method ${JSON.stringify(method)} is not a token`);
  if (!path.startsWith("/") || !TARGET_PART.test(path) || !TARGET_PART.test(query) || path.includes("?")) {
    throw new InvalidPolicyOutput(policy, "request target has characters that are not allowed");
  }
}

function isFraming(lowerName: string): boolean {
  return lowerName === "content-length" || isHopByHop(lowerName);
}

function framingOf(headers: readonly Header[]): string {
  let framing = "";
  for (const { name, value } of headers) if (isFraming(name.toLowerCase())) framing += `${name.toLowerCase()}\n${value}\n`;
  return framing;
}
