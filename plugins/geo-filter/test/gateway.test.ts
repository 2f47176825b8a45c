import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../../../test/support/gateway.js";
import { rawRequest, startUpstream, stopAll } from "../../../test/support/servers.js";
import { countingUpstream } from "../../../test/support/counting-upstream.js";
import { writeMmdb } from "../../../test/capabilities/support/mmdb-writer.js";
import { builtPolicy, readmeExample } from "../../../test/support/plugin-examples.js";

afterEach(stopAll);

const dir = mkdtempSync(join(tmpdir(), "portcullis-geo-filter-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const database = join(dir, "country.mmdb");
writeFileSync(
  database,
  writeMmdb([
    { network: "81.2.69.0/24", data: { country: { iso_code: "GB" } } },
    { network: "8.8.8.0/24", data: { country: { iso_code: "US" } } },
    { network: "2001:db8::/32", data: { registered_country: { iso_code: "CH" } } },
  ]),
);

/** "200", or "<status> <code>". */
async function outcome(url: string, headers: Record<string, string> = {}): Promise<string> {
  const response = await rawRequest(url, { headers });
  return response.status === 200 ? "200" : `${response.status} ${response.json<{ code: string }>().code}`;
}

describe("geo-filter in a gateway", () => {
  it("runs the README example against a generated MaxMind database", async () => {
    const upstream = await countingUpstream();
    const yaml = readmeExample("geo-filter", upstream.url).replace("./GeoLite2-Country.mmdb", database);
    const gateway = await startTestGateway(yaml);
    expect(await outcome(gateway.url("/shop"), { "x-forwarded-for": "81.2.69.160" })).toBe("200");
    expect(await outcome(gateway.url("/shop"), { "x-forwarded-for": "2001:db8::7" })).toBe("200");
    expect(await outcome(gateway.url("/shop"), { "x-forwarded-for": "8.8.8.8" })).toBe("403 COUNTRY_NOT_ALLOWED");
    expect(await outcome(gateway.url("/shop"), { "x-forwarded-for": "81.2.69.160, 8.8.8.8" })).toBe("403 COUNTRY_NOT_ALLOWED");
    expect(await outcome(gateway.url("/shop"))).toBe("403 COUNTRY_UNKNOWN");
    expect(await outcome(gateway.url("/shop"), { "x-forwarded-for": "81.2.69.160, bogus" })).toBe("400 CLIENT_ADDRESS_MALFORMED");
    expect(upstream.hits()).toBe(2);
  });

  it("denies by a trusted country header and exposes metadata country to expressions", async () => {
    const upstream = await startUpstream((req, res) => res.end(JSON.stringify({ tag: req.headers["x-order"] ?? null })));
    const gateway = await startTestGateway(`
plugins:
  geo-filter: { path: ${builtPolicy("geo-filter")}, capabilities: { geo: { database: ${database} } } }
  tag: { path: ${join(import.meta.dirname, "../../../test/runtime/fixtures/tag/build/tag.wasm")} }
${routesYaml(`
      - name: all
        policies:
          request:
            - plugin: geo-filter
              with: { deny: [RU], countryHeader: cf-ipcountry, trustedProxies: [127.0.0.1] }
            - plugin: tag
              with: { label: swiss }
              when: 'has(metadata.country) && metadata.country == "CH"'
        backend: { url: ${upstream.url} }
`)}`);
    expect(await outcome(gateway.url("/"), { "cf-ipcountry": "RU" })).toBe("403 COUNTRY_DENIED");
    const swiss = await rawRequest(gateway.url("/"), { headers: { "cf-ipcountry": "CH" } });
    expect(swiss.json()).toEqual({ tag: "swiss" });
    const unknown = await rawRequest(gateway.url("/"));
    expect(unknown.json()).toEqual({ tag: null });
  });

  it("refuses to start when lookups are needed but the geo database cannot be opened", async () => {
    const yaml = `
plugins:
  geo-filter: { path: ${builtPolicy("geo-filter")}, capabilities: { geo: { database: ${join(dir, "missing.mmdb")} } } }
${routesYaml(`
      - name: all
        policies: { request: [ { plugin: geo-filter, with: { allow: [GB] } } ] }
        backend: { echo: true }
`)}`;
    await expect(startTestGateway(yaml)).rejects.toThrow(/geo capability with a database/);
  });
});
