import type { BridgeClient } from "../bridge/bridge-client.js";
import type { Capabilities, HttpError, OutboundResponse, Result } from "../contract.js";
import { HostAllowList } from "./host-allow-list.js";
import type { OutboundCall } from "./outbound-fetch.js";

export const HTTP_FETCH_CALL = "http.fetch";

export interface HttpGrant {
  /** Hosts the plugin may call (see HostAllowList). */
  allow: string[];
  /** Upper bound of a request's timeout, default 10 s. */
  maxTimeoutMs?: number;
  /** Largest response body, default 1 MiB. */
  maxResponseBytes?: number;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Time allowed beyond the request's own timeout for the answer to cross the bridge. */
const BRIDGE_MARGIN_MS = 1_000;

/** Worker side of `http`: checks the request and the allow-list here, does the I/O in the main thread. */
export function createHttp(bridge: BridgeClient, grant: HttpGrant): Capabilities["http"] {
  const allowList = new HostAllowList(grant.allow);
  const maxTimeoutMs = grant.maxTimeoutMs ?? 10_000;
  const maxResponseBytes = grant.maxResponseBytes ?? 1024 * 1024;
  return {
    fetch(outbound): Result<OutboundResponse, HttpError> {
      let url: URL;
      try {
        url = new URL(outbound.url);
      } catch {
        return { tag: "err", val: { tag: "invalid-request", val: `not an absolute URL: ${outbound.url}` } };
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        return { tag: "err", val: { tag: "invalid-request", val: `scheme ${url.protocol} is not http: or https:` } };
      }
      if (!TOKEN.test(outbound.method)) {
        return { tag: "err", val: { tag: "invalid-request", val: `invalid method "${outbound.method}"` } };
      }
      if (!allowList.allows(url)) return { tag: "err", val: { tag: "denied", val: `${url.host} is not allow-listed` } };
      const timeoutMs = Math.min(Math.max(1, outbound.timeoutMs || maxTimeoutMs), maxTimeoutMs);
      const call: OutboundCall = {
        method: outbound.method.toUpperCase(),
        url: url.href,
        headers: outbound.headers,
        body: outbound.body,
        timeoutMs,
        maxResponseBytes,
      };
      try {
        return bridge.callSync(HTTP_FETCH_CALL, call, timeoutMs + BRIDGE_MARGIN_MS);
      } catch (error) {
        return { tag: "err", val: { tag: "unreachable", val: error instanceof Error ? error.message : String(error) } };
      }
    },
  };
}
