// What the load generator sends: a small GET, or a POST with a JSON body of a given size.

/** A JSON document of exactly `bytes` bytes: an array of small records, padded in its last field. */
export function jsonBody(bytes) {
  const items = [];
  let text = "";
  for (let id = 1; ; id++) {
    items.push({ id, sku: `sku-${String(id).padStart(6, "0")}`, quantity: id % 7, note: "" });
    const next = JSON.stringify({ order: "bench", items });
    if (next.length > bytes) {
      items.pop();
      break;
    }
    text = next;
  }
  const last = items.at(-1);
  last.note = "x".repeat(bytes - text.length);
  const body = JSON.stringify({ order: "bench", items });
  if (body.length !== bytes) throw new Error(`jsonBody(${bytes}) made ${body.length} bytes`);
  return body;
}

export const WORKLOADS = {
  // Every system gets the API key the realistic chain checks; the others just forward it.
  get: { id: "get", label: "GET, no body", method: "GET", path: "/bench", headers: { "x-api-key": "bench-key" } },
  "json-1k": { id: "json-1k", label: "POST 1 KiB JSON", method: "POST", path: "/bench", contentType: "application/json", body: jsonBody(1024) },
  "json-64k": { id: "json-64k", label: "POST 64 KiB JSON", method: "POST", path: "/bench", contentType: "application/json", body: jsonBody(64 * 1024) },
};
