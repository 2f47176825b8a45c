// What the unit tests share: loading the built policy in the SDK harness and reading its decisions.
import { fileURLToPath } from "node:url";
import { loadPolicy, type LoadOptions } from "@portcullis/sdk/testing";

const wasmPath = fileURLToPath(new URL("../build/pii-guard.wasm", import.meta.url));

export async function policy(config: unknown, options: Omit<LoadOptions, "config"> = {}) {
  return loadPolicy(wasmPath, { ...options, config });
}

type Decision = { tag: string; val: { tag: string; val: Record<string, unknown> } };

export function outcome(result: unknown) {
  const decision = result as Decision;
  if (decision.tag !== "ok") throw new Error(`failed: ${JSON.stringify(result)}`);
  const val = decision.val.val as {
    status?: number;
    body?: Uint8Array;
    headers?: unknown[];
    query?: string;
    metadata?: Array<{ tag: string; val: { key: string; value: string } }>;
  };
  const text = val.body === undefined ? undefined : Buffer.from(val.body).toString("utf8");
  const pii = val.metadata?.find((m) => m.tag === "set" && m.val.key === "pii");
  return {
    tag: decision.val.tag,
    status: val.status,
    body: text,
    json: () => JSON.parse(text!) as Record<string, unknown>,
    headers: val.headers,
    query: val.query,
    kinds: pii ? (JSON.parse(pii.val.value) as { kinds: string[] }).kinds : [],
  };
}

export const text = (body: string, headers: Record<string, string> = { "content-type": "text/plain" }) => ({ method: "POST", headers, body });
export const json = (body: unknown) => text(typeof body === "string" ? body : JSON.stringify(body), { "content-type": "application/json" });
