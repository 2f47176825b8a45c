import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { loadPolicy, requestHead, type RequestInput, type TestPolicy } from "@portcullis/sdk/testing";
import { createExpression } from "../../../host/src/capabilities/expression/expression-capability.js";
import { expressionContextFrom } from "../../../host/src/capabilities/expression/expression-context.js";
import { setFlowScope } from "../../../host/src/capabilities/flow-scope.js";

const wasmPath = fileURLToPath(new URL("../build/authorize.wasm", import.meta.url));

afterEach(() => setFlowScope(undefined));

/** The policy with the gateway's own CEL capability, so conditions are evaluated for real. */
const load = (config: Record<string, unknown>): Promise<TestPolicy> => loadPolicy(wasmPath, { config, capabilities: { expression: createExpression() } });

/** "allow", or "403 <code>"; the request's expression context is set as the runtime would. */
function decide(policy: TestPolicy, input: RequestInput): string {
  const metadata = Object.entries(input.metadata ?? {}).map(([key, value]) => ({ key, value: JSON.stringify(value) }));
  setFlowScope({ requestId: "r1", expression: () => expressionContextFrom({ request: requestHead(input), metadata }) });
  const result = policy.onRequest(input);
  if (result.tag !== "ok") throw new Error(`policy failed: ${JSON.stringify(result)}`);
  if (result.val.tag === "continue") return "allow";
  const { status, body } = result.val.val;
  return `${status} ${(JSON.parse(Buffer.from(body).toString("utf8")) as { code: string }).code}`;
}

const PRODUCTS = {
  rules: [
    { methods: ["GET", "HEAD"], effect: "allow" },
    { methods: ["POST", "PUT"], scopes: ["products:write"], effect: "allow" },
    { roles: ["admin"], effect: "allow" },
    { methods: ["DELETE"], effect: "deny", code: "ADMIN_ONLY" },
  ],
};

describe("authorize: configuration", () => {
  it("describes a strict schema", async () => {
    const policy = await load(PRODUCTS);
    expect(policy.describe()).toMatchObject({ name: "authorize", flows: ["request"] });
    expect(JSON.parse(policy.describe().configSchema)).toMatchObject({ required: ["rules"], additionalProperties: false });
  });

  it.each([
    [{ rules: [{ effect: "allow", when: "metadata.tier ==" }] }, "/rules/0/when", /valid CEL/],
    [{ rules: [{ effect: "deny" }, { effect: "allow", code: "NOPE" }] }, "/rules/1/code", /only deny rules/],
    [{ rules: [] }, "/rules", /at least one/],
  ])("refuses %j at %s", async (config, path, message) => {
    const policy = await loadPolicy(wasmPath, { init: false, capabilities: { expression: createExpression() } });
    const result = policy.init(config);
    expect(result).toMatchObject({ tag: "err", val: { tag: "invalid-value", val: { path } } });
    expect(JSON.stringify(result)).toMatch(message);
  });
});

describe("authorize: rules", () => {
  it("lets GET through without credentials and asks POST for a scope (space-separated or scp list)", async () => {
    const policy = await load(PRODUCTS);
    expect(decide(policy, { method: "GET" })).toBe("allow");
    expect(decide(policy, { method: "POST" })).toBe("403 NO_MATCHING_RULE");
    expect(decide(policy, { method: "POST", metadata: { jwt: { scope: "products:read products:write" } } })).toBe("allow");
    expect(decide(policy, { method: "POST", metadata: { jwt: { scope: "products:read" } } })).toBe("403 NO_MATCHING_RULE");
    expect(decide(policy, { method: "PUT", metadata: { jwt: { scp: ["products:write"] } } })).toBe("allow");
    expect(decide(policy, { method: "POST", metadata: { jwt: { scope: "products:writer" } } })).toBe("403 NO_MATCHING_RULE");
  });

  it("reads roles from api-key metadata and from JWT claims; first match wins", async () => {
    const policy = await load(PRODUCTS);
    expect(decide(policy, { method: "DELETE", metadata: { consumer: "alice", roles: ["admin"] } })).toBe("allow");
    expect(decide(policy, { method: "DELETE", metadata: { jwt: { roles: ["reader", "admin"] } } })).toBe("allow");
    expect(decide(policy, { method: "DELETE", metadata: { consumer: "bob", roles: ["reader"] } })).toBe("403 ADMIN_ONLY");
    expect(decide(policy, { method: "PATCH", metadata: { consumer: "bob" } })).toBe("403 NO_MATCHING_RULE");
  });

  it("requires every listed scope", async () => {
    const policy = await load({ rules: [{ scopes: ["a", "b"], effect: "allow" }] });
    expect(decide(policy, { metadata: { jwt: { scope: "b a" } } })).toBe("allow");
    expect(decide(policy, { metadata: { jwt: { scope: "a" } } })).toBe("403 NO_MATCHING_RULE");
  });

  it("evaluates CEL conditions over consumer, tier and request, with a default allow", async () => {
    const policy = await load({
      default: "allow",
      rules: [
        { when: 'has(metadata.tier) && metadata.tier == "premium"', effect: "allow" },
        { when: 'request.path.startsWith("/reports")', effect: "deny", code: "PREMIUM_ONLY" },
        { when: 'has(metadata.consumer) && metadata.consumer == "mallory"', effect: "deny" },
      ],
    });
    expect(decide(policy, { path: "/reports/1", metadata: { tier: "premium" } })).toBe("allow");
    expect(decide(policy, { path: "/reports/1", metadata: { tier: "free" } })).toBe("403 PREMIUM_ONLY");
    expect(decide(policy, { path: "/items", metadata: { consumer: "mallory" } })).toBe("403 ACCESS_DENIED");
    expect(decide(policy, { path: "/items", metadata: { consumer: "alice" } })).toBe("allow");
  });

  it("fails closed when a condition cannot be evaluated", async () => {
    const policy = await load({ default: "allow", rules: [{ when: 'metadata.consumer == "mallory"', effect: "deny" }] });
    expect(decide(policy, { metadata: { consumer: "alice" } })).toBe("allow");
    expect(decide(policy, {})).toBe("403 RULE_FAILED");
  });

  it("matches methods case-insensitively", async () => {
    const policy = await load({ rules: [{ methods: ["GET"], effect: "allow" }] });
    expect(decide(policy, { method: "get" })).toBe("allow");
    expect(decide(policy, { method: "POST" })).toBe("403 NO_MATCHING_RULE");
  });
});
