import type { Server } from "node:http";
import type { GatewayConfig } from "../config/schema.js";
import { PortcullisError } from "../errors.js";
import { listen } from "../listeners/listener-server.js";
import { boundAddress, closeGracefully, closeNow, type BoundAddress } from "../listeners/listener-set.js";
import { createAdminServer, type AdminRoutes } from "./admin-server.js";

type AdminConfig = GatewayConfig["admin"];

/**
 * The admin server of a gateway. A reload that changes `admin:` binds the new address before the switch
 * (a failure refuses the reload) and drains the old server after it, so the request that asked for the
 * reload (POST /reload) still gets its answer.
 */
export class AdminListener {
  #server: Server | undefined;
  #address: BoundAddress | undefined;
  readonly #closing = new Set<Server>();

  constructor(
    private readonly routes: AdminRoutes,
    private readonly actions: AdminRoutes,
  ) {}

  get address(): BoundAddress | undefined {
    return this.#address;
  }

  async open(config: AdminConfig): Promise<void> {
    [this.#server, this.#address] = await this.#bind(config);
  }

  /** For a reload: undefined when `admin:` is unchanged, else the step that switches to the new address. */
  async prepare(before: AdminConfig, after: AdminConfig, drainMs: number): Promise<{ apply(): void; abort(): Promise<void> } | undefined> {
    if (JSON.stringify(before) === JSON.stringify(after)) return undefined;
    const [server, address] = await this.#bind(after);
    return {
      apply: () => {
        if (this.#server) closeGracefully(this.#server, drainMs, this.#closing);
        [this.#server, this.#address] = [server, address];
      },
      abort: async () => {
        if (server) await closeNow(server);
      },
    };
  }

  stopAccepting(): void {
    this.#server?.close();
    this.#server?.closeIdleConnections();
  }

  async close(): Promise<void> {
    await Promise.all([this.#server, ...this.#closing].map((server) => server && closeNow(server)));
  }

  async #bind(config: AdminConfig): Promise<[Server | undefined, BoundAddress | undefined]> {
    if (!config.enabled) return [undefined, undefined];
    const server = createAdminServer(this.routes, this.actions);
    try {
      return [server, boundAddress(await listen(server, config.port, config.host), "http")];
    } catch (error) {
      throw new PortcullisError("PCS_ERR_LISTEN_FAILED", `admin server cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}
