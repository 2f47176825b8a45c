import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Reader, type CountryResponse } from "maxmind";
import { afterAll, describe, expect, it } from "vitest";
import { createGeo } from "../../host/src/capabilities/geo/geo-capability.js";
import { writeMmdb } from "./support/mmdb-writer.js";

describe("geo capability over a generated MaxMind DB", () => {
  const dir = mkdtempSync(join(tmpdir(), "portcullis-geo-"));
  const database = join(dir, "country.mmdb");
  writeFileSync(
    database,
    writeMmdb([
      { network: "81.2.69.0/24", data: { country: { iso_code: "GB", geoname_id: 2635167, names: { en: "United Kingdom" } } } },
      { network: "10.0.0.0/8", data: { registered_country: { iso_code: "DE" } } },
      { network: "10.1.0.0/16", data: { country: { iso_code: "FR" } } },
      { network: "2001:db8::/32", data: { country: { iso_code: "JP" } } },
      { network: "192.0.2.0/24", data: { continent: { code: "EU" } } },
    ]),
  );
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes a file the maxmind reader accepts, with its metadata", () => {
    const reader = new Reader<CountryResponse>(readFileSync(database));
    expect(reader.metadata.databaseType).toBe("Portcullis-Test-Country");
    expect(reader.get("81.2.69.160")?.country?.names.en).toBe("United Kingdom");
  });

  it("answers the country of IPv4 and IPv6 addresses", () => {
    const geo = createGeo(database);
    expect(geo.country("81.2.69.160")).toEqual({ tag: "ok", val: "GB" });
    expect(geo.country("10.1.2.3")).toEqual({ tag: "ok", val: "FR" });
    expect(geo.country("10.200.0.1")).toEqual({ tag: "ok", val: "DE" }); // registered country as fallback
    expect(geo.country("2001:db8::1")).toEqual({ tag: "ok", val: "JP" });
    expect(geo.country("192.0.2.1")).toEqual({ tag: "ok", val: undefined });
    expect(geo.country("8.8.8.8")).toEqual({ tag: "ok", val: undefined });
  });

  it("rejects invalid addresses and reports a missing or unreadable database as unavailable", () => {
    expect(createGeo(database).country("not-an-ip")).toMatchObject({ tag: "err", val: { tag: "invalid-address" } });
    expect(createGeo(undefined).country("81.2.69.160")).toMatchObject({ tag: "err", val: { tag: "unavailable" } });
    const broken = join(dir, "broken.mmdb");
    writeFileSync(broken, "not a database");
    const result = createGeo(broken).country("81.2.69.160");
    expect(result).toMatchObject({ tag: "err", val: { tag: "unavailable" } });
  });
});
