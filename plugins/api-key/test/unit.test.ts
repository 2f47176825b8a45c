import { createHash, timingSafeEqual } from "node:crypto";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { answerOf, loadPolicy, type RequestInput, type TestPolicy } from "@portcullis/sdk/testing";
import type { Capabilities } from "@portcullis/sdk/component";

const wasmPath = fileURLToPath(new URL("../build/api-key.wasm", import.meta.url));
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const KEYS = [
  { consumer: "alice", key: "alice-secret-1", tier: "premium", roles: ["admin", "reader"] },
  { consumer: "bob", sha256: sha256("bob-secret-2").toUpperCase() },
];

/** A crypto capability that counts constant-time comparisons. */
function countingCrypto(): { crypto: Capabilities["crypto"]; comparisons: () => number } {
  let count = 0;
  const crypto: Capabilities["crypto"] = {
    hash: (algorithm, data) => new Uint8Array(createHash(algorithm).update(data).digest()),
    hmac: () => new Uint8Array(),
    constantTimeEqual: (a, b) => {
      count++;
      return a.length === b.length && timingSafeEqual(a, b);
    },
    verifySignature: () => ({ tag: "ok", val: false }),
    verifyPassword: () => ({ tag: "ok", val: false }),
  };
  return { crypto, comparisons: () => count };
}

/** An expression capability that only knows the query lookup api-key compiles, over `state.query`. */
function queryExpression(state: { query: string }): Capabilities["expression"] {
  let source = "";
  return {
    compile: (text) => {
      source = text;
      return { tag: "ok", val: 1 };
    },
    evaluate: () => {
      const name = /^"([^"]+)" in request\.query/.exec(source)?.[1] ?? "";
      return { tag: "ok", val: JSON.stringify(new URLSearchParams(state.query).get(name) ?? "") };
    },
  };
}

async function load(config: Record<string, unknown>, capabilities: Partial<Capabilities> = {}): Promise<TestPolicy> {
  return loadPolicy(wasmPath, { config: { keys: KEYS, ...config }, capabilities });
}

function continued(policy: TestPolicy, input: RequestInput) {
  const result = policy.onRequest(input);
  if (result.tag !== "ok" || result.val.tag !== "continue") throw new Error(`expected continue, got ${JSON.stringify(result)}`);
  return result.val.val;
}

function rejected(policy: TestPolicy, input: RequestInput) {
  const answer = answerOf(policy.onRequest(input));
  return { status: answer.status, header: (name: string) => answer.header(name), body: answer.json<{ code: string }>() };
}

const metadataOf = (edits: ReturnType<typeof continued>) =>
  Object.fromEntries(edits.metadata.flatMap((m) => (m.tag === "set" ? [[m.val.key, JSON.parse(m.val.value) as unknown]] : [])));

describe("api-key: describe and configuration", () => {
  it("describes itself with a strict schema", async () => {
    const policy = await load({});
    const descriptor = policy.describe();
    expect(descriptor).toMatchObject({ name: "api-key", flows: ["request"], needsRequestBody: false });
    const schema = JSON.parse(descriptor.configSchema) as Record<string, unknown>;
    expect(schema).toMatchObject({ required: ["keys"], additionalProperties: false });
  });

  it("refuses an entry with both key and sha256, and a key listed twice", async () => {
    const policy = await loadPolicy(wasmPath, { init: false });
    expect(policy.init({ keys: [{ consumer: "x", key: "k", sha256: sha256("k") }] })).toMatchObject({
      tag: "err",
      val: { tag: "invalid-value", val: { path: "/keys/0/key" } },
    });
    const again = await loadPolicy(wasmPath, { init: false });
    expect(
      again.init({
        keys: [
          { consumer: "x", key: "k" },
          { consumer: "y", sha256: sha256("k") },
        ],
      }),
    ).toMatchObject({
      tag: "err",
      val: { tag: "invalid-value", val: { path: "/keys/1/sha256", message: "the same key is listed twice" } },
    });
  });
});

describe("api-key: header", () => {
  it("answers 401 API_KEY_MISSING with WWW-Authenticate when no key is sent", async () => {
    const policy = await load({ realm: "shop" });
    const answer = rejected(policy, { headers: {} });
    expect(answer).toMatchObject({ status: 401, body: { code: "API_KEY_MISSING" } });
    expect(answer.header("www-authenticate")).toBe('ApiKey realm="shop"');
    expect(answer.header("content-type")).toBe("application/json");
    expect(rejected(policy, { headers: { "x-api-key": "  " } }).body.code).toBe("API_KEY_MISSING");
  });

  it("answers 401 API_KEY_INVALID for a wrong key without echoing it", async () => {
    const policy = await load({});
    const answer = rejected(policy, { headers: { "x-api-key": "guess-this-secret" } });
    expect(answer).toMatchObject({ status: 401, body: { code: "API_KEY_INVALID" } });
    expect(JSON.stringify(answer.body)).not.toContain("guess-this-secret");
    expect(answer.header("www-authenticate")).toBe('ApiKey realm="api"');
  });

  it("accepts a plain key: consumer, tier and roles into metadata, credential removed", async () => {
    const policy = await load({});
    const edits = continued(policy, { headers: { "X-Api-Key": "alice-secret-1" } });
    expect(metadataOf(edits)).toEqual({ consumer: "alice", tier: "premium", roles: ["admin", "reader"] });
    expect(edits.headers).toEqual([{ tag: "remove", val: "x-api-key" }]);
  });

  it("accepts a key listed as a sha256 digest (any case), and keeps it when told to", async () => {
    const policy = await load({ keepCredential: true, name: "X-Key" });
    const edits = continued(policy, { headers: { "x-key": "bob-secret-2" } });
    expect(metadataOf(edits)).toEqual({ consumer: "bob" });
    expect(edits.headers).toEqual([]);
  });

  it("compares the presented key with every listed key through the host's constant-time compare", async () => {
    const counting = countingCrypto();
    const policy = await load({}, { crypto: counting.crypto });
    const before = counting.comparisons();
    continued(policy, { headers: { "x-api-key": "alice-secret-1" } });
    expect(counting.comparisons() - before).toBe(KEYS.length);
  });
});

describe("api-key: cookie", () => {
  it("reads the key from a cookie and forwards the other cookies", async () => {
    const policy = await load({ in: "cookie", name: "session_key" });
    const edits = continued(policy, { headers: { cookie: 'theme=dark; session_key="alice-secret-1"; lang=en' } });
    expect(metadataOf(edits).consumer).toBe("alice");
    expect(edits.headers).toEqual([
      { tag: "remove", val: "cookie" },
      { tag: "append", val: { name: "cookie", value: "theme=dark; lang=en" } },
    ]);
  });

  it("answers 401 when the cookie is absent or wrong", async () => {
    const policy = await load({ in: "cookie", name: "session_key" });
    expect(rejected(policy, { headers: { cookie: "theme=dark" } }).body.code).toBe("API_KEY_MISSING");
    expect(rejected(policy, { headers: { cookie: "session_key=nope" } }).body.code).toBe("API_KEY_INVALID");
  });
});

describe("api-key: query parameter", () => {
  it("reads the key through an expression and strips only that parameter", async () => {
    const state = { query: "" };
    const policy = await load({ in: "query", name: "api_key" }, { expression: queryExpression(state) });
    state.query = "page=2&api_key=bob-secret-2&sort=asc";
    const edits = continued(policy, { query: state.query });
    expect(metadataOf(edits).consumer).toBe("bob");
    expect(edits.query).toBe("page=2&sort=asc");
  });

  it("answers 401 for a missing key, and for a parameter name spelled with percent-encoding", async () => {
    const state = { query: "page=2" };
    const policy = await load({ in: "query", name: "api_key" }, { expression: queryExpression(state) });
    expect(rejected(policy, { query: state.query }).body.code).toBe("API_KEY_MISSING");
    state.query = "api%5Fkey=bob-secret-2";
    expect(rejected(policy, { query: state.query }).body.code).toBe("API_KEY_MALFORMED");
  });
});
