import type { GatewayConfig } from "../config/schema.js";
import type { Reloader } from "../reload/reloader.js";
import type { AdminHandler, AdminRoutes } from "./admin-server.js";
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
  return new Map<string, AdminHandler>([
    ["/healthz", () => ({ status: 200, body: { status: "ok" } })],
    [
      "/readyz",
      () => {
        const ready = status.ready && !status.draining;
        return { status: ready ? 200 : 503, body: { status: ready ? "ready" : status.draining ? "draining" : "starting", inFlight: status.inFlight } };
      },
    ],
    ["/config", configRoute(config, pluginSchemas)],
  ]);
}

/** /config: the configuration in force, secrets redacted (set again at each reload). */
export function configRoute(config: GatewayConfig, pluginSchemas: ReadonlyMap<string, Record<string, unknown>>): AdminHandler {
  const redacted = redact(config, pluginSchemas);
  return () => ({ status: 200, body: redacted });
}

/**
 * GET /reload: the generation serving and the last reload's outcome (a refusal with its file:line issues);
 * POST /reload: reloads the configuration file now and answers that outcome (422 when refused).
 */
export function addReloadRoutes(routes: AdminRoutes, actions: AdminRoutes, reloader: Reloader, watching: () => boolean, standby: () => string): void {
  routes.set("/reload", () => ({ status: 200, body: reloader.status(watching(), standby()) }));
  actions.set("/reload", async () => {
    const outcome = await reloader.reload("admin");
    const status = outcome.result !== "refused" ? 200 : outcome.code === "PCS_ERR_RELOAD_UNAVAILABLE" ? 409 : 422;
    return { status, body: outcome };
  });
}
