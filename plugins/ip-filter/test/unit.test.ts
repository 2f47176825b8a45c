import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadPolicy, type RequestInput, type TestPolicy } from "@portcullis/sdk/testing";

const wasmPath = fileURLToPath(new URL("../build/ip-filter.wasm", import.meta.url));

const load = (config: Record<string, unknown>): Promise<TestPolicy> => loadPolicy(wasmPath, { config });

/** "continue", or the status and code of the direct response. */
function outcome(policy: TestPolicy, input: RequestInput): string {
  const result = policy.onRequest(input);
  if (result.tag !== "ok") throw new Error(`policy failed: ${JSON.stringify(result)}`);
  if (result.val.tag === "continue") return "continue";
  const { status, body } = result.val.val;
  return `${status} ${(JSON.parse(Buffer.from(body).toString("utf8")) as { code: string }).code}`;
}

const from = (clientAddress: string, forwardedFor?: string | string[]): RequestInput => ({
  clientAddress,
  headers: forwardedFor === undefined ? [] : [forwardedFor].flat().map((value): [string, string] => ["x-forwarded-for", value]),
});

describe("ip-filter: configuration", () => {
  it("describes a strict schema", async () => {
    const policy = await load({ allow: ["10.0.0.0/8"] });
    expect(policy.describe()).toMatchObject({ name: "ip-filter", flows: ["request"], needsRequestBody: false });
    expect(JSON.parse(policy.describe().configSchema)).toMatchObject({ additionalProperties: false });
  });

  it.each([
    [{ allow: ["10.0.0.1/8"] }, "/allow/0", /host bits/],
    [{ deny: ["::1", "2001:db8::/129"] }, "/deny/1", /prefix length above 128/],
    [{ allow: ["::1"], trustedProxies: ["10.0.0.0/8", "not-an-ip"] }, "/trustedProxies/1", /not an IPv4 or IPv6/],
    [{ allow: ["256.1.1.1"] }, "/allow/0", /not an IPv4/],
    [{ allow: ["010.1.1.1"] }, "/allow/0", /not an IPv4/],
    [{ allow: ["1:2:3:4:5:6:7:8:9"] }, "/allow/0", /not an IPv4 or IPv6/],
    [{ allow: ["1::2::3"] }, "/allow/0", /not an IPv4 or IPv6/],
    [{ trustedProxies: ["10.0.0.0/8"] }, "/allow", /allow list, a deny list/],
  ])("refuses %j at %s", async (config, path, message) => {
    const policy = await loadPolicy(wasmPath, { init: false });
    const result = policy.init(config);
    expect(result).toMatchObject({ tag: "err", val: { tag: "invalid-value", val: { path } } });
    expect(JSON.stringify(result)).toMatch(message);
  });
});

describe("ip-filter: decisions on the socket address", () => {
  it("allows only listed IPv4 and IPv6 ranges", async () => {
    const policy = await load({ allow: ["10.0.0.0/8", "192.168.1.128/25", "2001:db8::/32", "::1"] });
    expect(outcome(policy, from("10.200.3.4"))).toBe("continue");
    expect(outcome(policy, from("192.168.1.200"))).toBe("continue");
    expect(outcome(policy, from("192.168.1.127"))).toBe("403 IP_NOT_ALLOWED");
    expect(outcome(policy, from("11.0.0.1"))).toBe("403 IP_NOT_ALLOWED");
    expect(outcome(policy, from("2001:db8:ffff::1"))).toBe("continue");
    expect(outcome(policy, from("2001:db9::1"))).toBe("403 IP_NOT_ALLOWED");
    expect(outcome(policy, from("0:0:0:0:0:0:0:1"))).toBe("continue");
    expect(outcome(policy, from("::2"))).toBe("403 IP_NOT_ALLOWED");
  });

  it("matches IPv4-mapped IPv6 socket addresses against IPv4 ranges", async () => {
    const policy = await load({ allow: ["10.0.0.0/8"] });
    expect(outcome(policy, from("::ffff:10.1.2.3"))).toBe("continue");
    expect(outcome(policy, from("::ffff:11.1.2.3"))).toBe("403 IP_NOT_ALLOWED");
  });

  it("denies listed ranges first, even inside an allowed one", async () => {
    const policy = await load({ allow: ["10.0.0.0/8"], deny: ["10.9.0.0/16"] });
    expect(outcome(policy, from("10.9.1.1"))).toBe("403 IP_DENIED");
    expect(outcome(policy, from("10.8.1.1"))).toBe("continue");
  });

  it("with only a deny list, lets everything else through", async () => {
    const policy = await load({ deny: ["203.0.113.0/24", "2001:db8:bad::/48"] });
    expect(outcome(policy, from("203.0.113.9"))).toBe("403 IP_DENIED");
    expect(outcome(policy, from("2001:db8:bad:1::1"))).toBe("403 IP_DENIED");
    expect(outcome(policy, from("198.51.100.1"))).toBe("continue");
  });

  it("answers 400 for a socket address it cannot read", async () => {
    const policy = await load({ deny: ["203.0.113.0/24"] });
    expect(outcome(policy, from(""))).toBe("400 CLIENT_ADDRESS_MALFORMED");
  });
});

describe("ip-filter: X-Forwarded-For through trusted proxies", () => {
  const config = { allow: ["198.51.100.0/24"], deny: ["198.51.100.66"], trustedProxies: ["10.0.0.0/8", "fd00::/8"] };

  it("ignores X-Forwarded-For from a peer that is not a trusted proxy", async () => {
    const policy = await load(config);
    expect(outcome(policy, from("203.0.113.1", "198.51.100.7"))).toBe("403 IP_NOT_ALLOWED");
  });

  it("walks from the right past trusted proxies, so a forged left-most entry changes nothing", async () => {
    const policy = await load(config);
    expect(outcome(policy, from("10.0.0.2", "198.51.100.7"))).toBe("continue");
    expect(outcome(policy, from("10.0.0.2", "198.51.100.7, 10.1.1.1, fd00::5"))).toBe("continue");
    expect(outcome(policy, from("10.0.0.2", "198.51.100.66, 203.0.113.1"))).toBe("403 IP_NOT_ALLOWED");
    expect(outcome(policy, from("10.0.0.2", "garbage, 198.51.100.7"))).toBe("continue");
    expect(outcome(policy, from("10.0.0.2", "203.0.113.1, 198.51.100.66"))).toBe("403 IP_DENIED");
  });

  it("joins several X-Forwarded-For headers in order", async () => {
    const policy = await load(config);
    expect(outcome(policy, from("10.0.0.2", ["203.0.113.1", "198.51.100.7"]))).toBe("continue");
    expect(outcome(policy, from("10.0.0.2", ["198.51.100.7", "203.0.113.1"]))).toBe("403 IP_NOT_ALLOWED");
  });

  it("uses the left-most entry when every hop is trusted, and the peer when there is no header", async () => {
    const policy = await load({ allow: ["10.0.0.0/8"], trustedProxies: ["10.0.0.0/8"] });
    expect(outcome(policy, from("10.0.0.2", "10.0.0.9, 10.0.0.3"))).toBe("continue");
    expect(outcome(policy, from("10.0.0.2"))).toBe("continue");
  });

  it("answers 400 when the entry it would believe is malformed", async () => {
    const policy = await load(config);
    expect(outcome(policy, from("10.0.0.2", "198.51.100.7, nonsense"))).toBe("400 CLIENT_ADDRESS_MALFORMED");
    expect(outcome(policy, from("10.0.0.2", "198.51.100.7,,"))).toBe("400 CLIENT_ADDRESS_MALFORMED");
    expect(outcome(policy, from("10.0.0.2", "1.2.3.4:80"))).toBe("400 CLIENT_ADDRESS_MALFORMED");
  });
});
