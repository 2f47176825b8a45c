import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { ConnectionOptions } from "node:tls";
import type { BackendTlsConfig } from "../../config/resilience-schema.js";

/** TLS options for connections to https:// targets (files relative to the config file). */
export function backendTlsOptions(tls: BackendTlsConfig | undefined, baseDir: string): ConnectionOptions {
  if (!tls) return {};
  const read = (file: string | undefined) => (file === undefined ? undefined : readFileSync(resolve(baseDir, file)));
  const options: ConnectionOptions = {
    ca: read(tls.ca),
    cert: read(tls.cert),
    key: read(tls.key),
    servername: tls.servername,
    rejectUnauthorized: tls.verify,
    // The chain is still verified; only the name check is skipped.
    checkServerIdentity: tls.verifyHostname ? undefined : () => undefined,
  };
  // An explicit undefined would override tls.connect's defaults (servername, checkServerIdentity).
  for (const key of Object.keys(options) as Array<keyof ConnectionOptions>) if (options[key] === undefined) delete options[key];
  return options;
}

/** The part of the pool key that distinguishes TLS settings. */
export function tlsKey(tls: BackendTlsConfig | undefined): string {
  return tls ? JSON.stringify(tls) : "";
}
