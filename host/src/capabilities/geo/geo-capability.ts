import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { CountryResponse, Reader } from "maxmind";
import type { Capabilities, GeoError, Result } from "../contract.js";
import { lazyModule } from "../lazy-module.js";

/** The MaxMind reader: loaded only where some plugin is granted `geo`. */
export const loadMaxmind = lazyModule<typeof import("maxmind")>("maxmind");

export interface GeoGrant {
  /** Path of a MaxMind-format (.mmdb) database with country data, e.g. GeoLite2-Country. */
  database?: string;
}

/** Readers by database path, shared by the plugin instances of a thread. */
const readers = new Map<string, Reader<CountryResponse>>();

function readerFor(path: string): Reader<CountryResponse> {
  let reader = readers.get(path);
  if (!reader) {
    reader = new (loadMaxmind().Reader)<CountryResponse>(readFileSync(path));
    readers.set(path, reader);
  }
  return reader;
}

/** The `geo` capability. A database that cannot be opened makes every lookup `unavailable`, with the reason. */
export function createGeo(databasePath: string | undefined): Capabilities["geo"] {
  let reader: Reader<CountryResponse> | undefined;
  let problem = databasePath === undefined ? "no geo database is configured for this plugin" : undefined;
  if (databasePath !== undefined) {
    try {
      reader = readerFor(databasePath);
    } catch (error) {
      problem = `cannot open geo database ${databasePath}: ${(error as Error).message}`;
    }
  }
  return {
    country(address): Result<string | undefined, GeoError> {
      if (!reader) return { tag: "err", val: { tag: "unavailable", val: problem ?? "no geo database" } };
      if (isIP(address) === 0) return { tag: "err", val: { tag: "invalid-address", val: address } };
      const record = reader.get(address);
      return { tag: "ok", val: record?.country?.iso_code ?? record?.registered_country?.iso_code };
    },
  };
}
