import type { Header, RequestHead } from "@portcullis/sdk/component";
import type { Exchange } from "../proxy/exchange.js";
import type { MetadataPairs, ResponseTask } from "./flow-messages.js";

/**
 * Conversions between the gateway's exchange (raw header arrays) and the policy world's
 * records (header lists with lower-case names).
 */

export function requestHeadOf(ex: Exchange): RequestHead {
  return {
    method: ex.method,
    scheme: ex.listener.protocol,
    authority: ex.host ?? "",
    path: ex.path,
    query: ex.query,
    headers: headersOf(ex.rawHeaders),
    clientAddress: ex.clientIp,
    requestId: ex.requestId,
    listener: ex.listener.name,
    route: ex.route?.name ?? "",
  };
}

/** Raw alternating name/value list -> header records with lower-case names. */
export function headersOf(raw: readonly string[]): Header[] {
  const headers: Header[] = new Array(raw.length >> 1);
  for (let i = 0, j = 0; i < raw.length; i += 2, j++) headers[j] = { name: raw[i]!.toLowerCase(), value: raw[i + 1]! };
  return headers;
}

export function rawOf(headers: readonly Header[]): string[] {
  const raw: string[] = new Array(headers.length * 2);
  for (let i = 0; i < headers.length; i++) {
    raw[2 * i] = headers[i]!.name;
    raw[2 * i + 1] = headers[i]!.value;
  }
  return raw;
}

/** Copies a policy-changed request head back onto the exchange. */
export function applyRequestHead(ex: Exchange, head: RequestHead): void {
  ex.method = head.method;
  ex.path = head.path;
  ex.query = head.query;
  ex.rawHeaders = rawOf(head.headers);
  const host = head.headers.find((h) => h.name === "host")?.value;
  ex.host = host ?? (head.authority || ex.host);
}

/** The response flow's task over the upstream's answer as it stands on the exchange (head, `body` if read). */
export function upstreamResponseTask(ex: Exchange, body: Uint8Array | undefined, metadata: MetadataPairs): Omit<ResponseTask, "quarantined" | "slot"> {
  return {
    flow: "response",
    listener: ex.listener.name,
    route: ex.route?.name,
    request: requestHeadOf(ex),
    response: { status: ex.responseStatus, headers: headersOf(ex.responseHeaders ?? []) },
    body,
    metadata,
  };
}
