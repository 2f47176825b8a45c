import type { GatewayConfig } from "../config/schema.js";
import type { AdminRoutes } from "./admin-server.js";
import { redact } from "./redact.js";

export interface GatewayStatus {
  readonly ready: boolean;
  readonly draining: boolean;
  readonly inFlight: number;
}

/** /healthz (the process answers), /readyz (listeners bound, not draining), /config (redacted). */
export function defaultAdminRoutes(
  config: GatewayConfig,
  status: GatewayStatus,
  pluginSchemas: ReadonlyMap<string, Record<string, unknown>> = new Map(),
): AdminRoutes {
  const redacted = redact(config, pluginSchemas);
  return new Map([
    ["/healthz", () => ({ status: 200, body: { status: "ok" } })],
    [
      "/readyz",
      () => {
        const ready = status.ready && !status.draining;
        return { status: ready ? 200 : 503, body: { status: ready ? "ready" : status.draining ? "draining" : "starting", inFlight: status.inFlight } };
      },
    ],
    ["/config", () => ({ status: 200, body: redacted })],
  ]);
}
