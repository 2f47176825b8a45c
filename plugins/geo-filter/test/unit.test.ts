import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadPolicy, type RequestInput, type TestPolicy } from "@portcullis/sdk/testing";
import type { Capabilities } from "@portcullis/sdk/component";

const wasmPath = fileURLToPath(new URL("../build/geo-filter.wasm", import.meta.url));

const COUNTRIES: Record<string, string> = { "81.2.69.160": "GB", "10.1.2.3": "FR", "2001:db8:0:0:0:0:0:1": "JP", "198.51.100.7": "DE" };

/** A geo capability over COUNTRIES that records the addresses it was asked about. */
function fakeGeo(asked: string[] = []): Capabilities["geo"] {
  return {
    country: (address) => {
      asked.push(address);
      return { tag: "ok", val: COUNTRIES[address] };
    },
  };
}

const load = (config: Record<string, unknown>, geo: Capabilities["geo"] = fakeGeo()): Promise<TestPolicy> =>
  loadPolicy(wasmPath, { config, capabilities: { geo } });

/** "continue <country metadata>", or the status and code of the direct response. */
function outcome(policy: TestPolicy, input: RequestInput): string {
  const result = policy.onRequest(input);
  if (result.tag !== "ok") throw new Error(`policy failed: ${JSON.stringify(result)}`);
  if (result.val.tag === "continue") {
    const country = result.val.val.metadata.find((m) => m.tag === "set" && m.val.key === "country");
    return `continue ${country?.tag === "set" ? (JSON.parse(country.val.value) as string) : "-"}`;
  }
  const { status, body } = result.val.val;
  return `${status} ${(JSON.parse(Buffer.from(body).toString("utf8")) as { code: string }).code}`;
}

describe("geo-filter: configuration", () => {
  it("describes a strict schema", async () => {
    const policy = await load({ allow: ["GB"] });
    expect(policy.describe()).toMatchObject({ name: "geo-filter", flows: ["request"] });
    expect(JSON.parse(policy.describe().configSchema)).toMatchObject({ additionalProperties: false });
  });

  it.each([
    [{ allow: ["GB"], countryHeader: "cf-ipcountry" }, "/trustedProxies", /must list the proxies/],
    [{ deny: ["GB"], trustedProxies: ["10.0.0.1/8"] }, "/trustedProxies/0", /host bits/],
    [{ unknownCountry: "deny" }, "/allow", /allow list, a deny list/],
  ])("refuses %j at %s", async (config, path, message) => {
    const policy = await loadPolicy(wasmPath, { init: false, capabilities: { geo: fakeGeo() } });
    const result = policy.init(config);
    expect(result).toMatchObject({ tag: "err", val: { tag: "invalid-value", val: { path } } });
    expect(JSON.stringify(result)).toMatch(message);
  });

  it("reports a missing geo database as unsupported when it looks countries up", async () => {
    const policy = await loadPolicy(wasmPath, { init: false });
    expect(policy.init({ allow: ["GB"] })).toMatchObject({ tag: "err", val: { tag: "unsupported" } });
    expect(policy.init({ allow: ["GB"], countryHeader: "cf-ipcountry", trustedProxies: ["10.0.0.0/8"] })).toMatchObject({ tag: "ok" });
  });
});

describe("geo-filter: database lookups", () => {
  it("allows listed countries, sets metadata country, and denies unknown ones by default with an allow list", async () => {
    const asked: string[] = [];
    const policy = await load({ allow: ["GB", "JP"] }, fakeGeo(asked));
    expect(outcome(policy, { clientAddress: "81.2.69.160" })).toBe("continue GB");
    expect(outcome(policy, { clientAddress: "2001:db8::1" })).toBe("continue JP");
    expect(outcome(policy, { clientAddress: "10.1.2.3" })).toBe("403 COUNTRY_NOT_ALLOWED");
    expect(outcome(policy, { clientAddress: "8.8.8.8" })).toBe("403 COUNTRY_UNKNOWN");
    expect(outcome(policy, { clientAddress: "::ffff:81.2.69.160" })).toBe("continue GB");
    expect(asked).toContain("2001:db8:0:0:0:0:0:1");
  });

  it("denies listed countries and lets unknown ones through by default with only a deny list", async () => {
    const policy = await load({ deny: ["FR"] });
    expect(outcome(policy, { clientAddress: "10.1.2.3" })).toBe("403 COUNTRY_DENIED");
    expect(outcome(policy, { clientAddress: "81.2.69.160" })).toBe("continue GB");
    expect(outcome(policy, { clientAddress: "8.8.8.8" })).toBe("continue -");
    const strict = await load({ deny: ["FR"], unknownCountry: "deny" });
    expect(outcome(strict, { clientAddress: "8.8.8.8" })).toBe("403 COUNTRY_UNKNOWN");
  });

  it("looks up the X-Forwarded-For client through trusted proxies, walked from the right", async () => {
    const policy = await load({ allow: ["DE"], trustedProxies: ["127.0.0.1"] });
    const via = (forwardedFor: string) => ({ clientAddress: "127.0.0.1", headers: { "x-forwarded-for": forwardedFor } });
    expect(outcome(policy, via("81.2.69.160, 198.51.100.7"))).toBe("continue DE");
    expect(outcome(policy, via("198.51.100.7, 81.2.69.160"))).toBe("403 COUNTRY_NOT_ALLOWED");
    expect(outcome(policy, via("198.51.100.7, junk"))).toBe("400 CLIENT_ADDRESS_MALFORMED");
  });

  it("fails the flow as unavailable (503) when the database fails during a request", async () => {
    let calls = 0;
    const flaky: Capabilities["geo"] = {
      country: () => (calls++ === 0 ? { tag: "ok", val: undefined } : { tag: "err", val: { tag: "unavailable", val: "gone" } }),
    };
    const policy = await load({ allow: ["GB"] }, flaky);
    expect(policy.onRequest({ clientAddress: "81.2.69.160" })).toMatchObject({ tag: "err", val: { tag: "unavailable" } });
  });
});

describe("geo-filter: a trusted country header", () => {
  const config = { allow: ["GB", "CH"], countryHeader: "CF-IPCountry", trustedProxies: ["10.0.0.0/8"] };

  it("believes the header only from a trusted proxy", async () => {
    const policy = await load(config);
    expect(outcome(policy, { clientAddress: "10.0.0.5", headers: { "cf-ipcountry": "gb" } })).toBe("continue GB");
    expect(outcome(policy, { clientAddress: "10.0.0.5", headers: { "cf-ipcountry": "US" } })).toBe("403 COUNTRY_NOT_ALLOWED");
    expect(outcome(policy, { clientAddress: "203.0.113.1", headers: { "cf-ipcountry": "GB" } })).toBe("403 COUNTRY_UNKNOWN");
  });

  it("treats a missing, malformed or XX header as unknown", async () => {
    const policy = await load(config);
    for (const headers of [{} as Record<string, string>, { "cf-ipcountry": "G1" }, { "cf-ipcountry": "GBR" }, { "cf-ipcountry": "XX" }]) {
      expect(outcome(policy, { clientAddress: "10.0.0.5", headers })).toBe("403 COUNTRY_UNKNOWN");
    }
  });
});
