// header-stamp: a gateway policy written in JavaScript (see README.md).
// Requires a tenant header, stamps the request with a digest of it and the time, removes headers.
import { nowMs } from "portcullis:policy/clock";
import { hash } from "portcullis:policy/crypto";
import { write } from "portcullis:policy/log";

const CONFIG_SCHEMA = {
  type: "object",
  additionalProperties: false,
  properties: {
    header: { type: "string", minLength: 1, description: "The header that names the tenant." },
    stamp: { type: "string", minLength: 1, description: "The header the digest goes to (default x-tenant-digest)." },
    remove: { type: "array", items: { type: "string" }, description: "Headers removed before the request goes upstream." },
  },
  required: ["header"],
};

// One configuration per instance: init sets it, the flows read it.
let config = { header: "", stamp: "x-tenant-digest", remove: [] };

const HEX = "0123456789abcdef";
function hex(bytes) {
  let out = "";
  for (const b of bytes) out += HEX[b >> 4] + HEX[b & 15];
  return out;
}

const invalid = (path, message) => ({ tag: "err", val: { tag: "invalid-value", val: { path, message } } });
const isHeaderName = (name) => typeof name === "string" && /^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name);
const next = (headers = []) => ({ tag: "ok", val: { tag: "continue", val: { headers, metadata: [] } } });

export function describe() {
  return {
    name: "header-stamp",
    version: "0.1.0",
    flows: ["request"],
    needsRequestBody: false,
    needsResponseBody: false,
    configSchema: JSON.stringify(CONFIG_SCHEMA),
  };
}

export function init(json) {
  let parsed;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    return { tag: "err", val: { tag: "invalid-json", val: String(error.message) } };
  }
  const header = String(parsed.header ?? "").toLowerCase();
  if (!isHeaderName(header)) return invalid("/header", "a lower-case header name is required");
  const stamp = String(parsed.stamp ?? "x-tenant-digest").toLowerCase();
  if (!isHeaderName(stamp)) return invalid("/stamp", "must be a header name");
  const remove = parsed.remove ?? [];
  const bad = remove.findIndex((name) => !isHeaderName(String(name).toLowerCase()));
  if (bad >= 0) return invalid(`/remove/${bad}`, "must be a header name");
  config = { header, stamp, remove: remove.map((name) => String(name).toLowerCase()) };
  return { tag: "ok", val: { requestBody: "none", responseBody: "none" } };
}

export function onRequest(request) {
  const found = request.head.headers.find((h) => h.name === config.header);
  if (!found) {
    const body = new TextEncoder().encode(JSON.stringify({ error: `missing ${config.header}` }));
    const headers = [{ name: "content-type", value: "application/json" }];
    return { tag: "ok", val: { tag: "respond", val: { status: 400, headers, body, metadata: [] } } };
  }
  // A malformed percent-encoding (`%E0%A4%A`) makes this throw: an uncaught error is a trap.
  const tenant = decodeURIComponent(found.value);
  const digest = hex(hash("sha256", new TextEncoder().encode(tenant)));
  write("debug", "stamped", [{ name: "tenant", value: tenant }]);
  return next([
    { tag: "set", val: { name: config.stamp, value: digest } },
    { tag: "set", val: { name: "x-stamped-at", value: String(nowMs()) } },
    ...config.remove.map((name) => ({ tag: "remove", val: name })),
  ]);
}
