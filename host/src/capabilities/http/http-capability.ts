import type { BridgeClient } from "../bridge/bridge-client.js";
import type { Capabilities, HttpError, OutboundRequest } from "../contract.js";
import { fetchThroughBridge, HTTP_FETCH_CALL, queueCall } from "./call-outs.js";
import { HostAllowList } from "./host-allow-list.js";
import type { OutboundCall } from "./outbound-fetch.js";

export { HTTP_FETCH_CALL };

export interface HttpGrant {
  /** Hosts the plugin may call (see HostAllowList). */
  allow: string[];
  /** Upper bound of a request's timeout, default 10 s. */
  maxTimeoutMs?: number;
  /** Largest response body, default 1 MiB. */
  maxResponseBytes?: number;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Worker side of `http`: checks the request and the allow-list here. `fetch` does the I/O in the
 * main thread and blocks until the answer; `dispatch` queues the call for the worker to perform
 * after the policy returns (call-outs.ts).
 */
export function createHttp(bridge: BridgeClient, grant: HttpGrant): Capabilities["http"] {
  const allowList = new HostAllowList(grant.allow);
  const maxTimeoutMs = grant.maxTimeoutMs ?? 10_000;
  const maxResponseBytes = grant.maxResponseBytes ?? 1024 * 1024;
  const refused = (error: HttpError) => ({ tag: "err", val: error }) as const;

  /** The call to make, or why not. */
  function check(outbound: OutboundRequest): OutboundCall | HttpError {
    let url: URL;
    try {
      url = new URL(outbound.url);
    } catch {
      return { tag: "invalid-request", val: `not an absolute URL: ${outbound.url}` };
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return { tag: "invalid-request", val: `scheme ${url.protocol} is not http: or https:` };
    if (!TOKEN.test(outbound.method)) return { tag: "invalid-request", val: `invalid method "${outbound.method}"` };
    if (!allowList.allows(url)) return { tag: "denied", val: `${url.host} is not allow-listed` };
    const timeoutMs = Math.min(Math.max(1, outbound.timeoutMs || maxTimeoutMs), maxTimeoutMs);
    return { method: outbound.method.toUpperCase(), url: url.href, headers: outbound.headers, body: outbound.body, timeoutMs, maxResponseBytes };
  }

  return {
    fetch(outbound) {
      const call = check(outbound);
      return "tag" in call ? refused(call) : fetchThroughBridge(bridge, call);
    },
    dispatch(outbound) {
      const call = check(outbound);
      return "tag" in call ? refused(call) : queueCall(call);
    },
  };
}
