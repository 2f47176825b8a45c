import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { DestinationStream, Logger } from "pino";
import { createAdminServer, type AdminRoutes } from "./admin/admin-server.js";
import { defaultAdminRoutes } from "./admin/default-routes.js";
import { loadConfigFile, parseConfigObject, type LoadedConfig } from "./config/load-config.js";
import type { GatewayConfig, GatewayConfigInput } from "./config/schema.js";
import { PortcullisError } from "./errors.js";
import { createListenerRuntime, type GatewayContext } from "./listeners/listener-runtime.js";
import { createListenerServer, listen } from "./listeners/listener-server.js";
import { createLogger } from "./logging.js";
import { compileAccessLogMetadata } from "./proxy/access-log-metadata.js";
import { NO_FLOWS, type FlowRunner } from "./proxy/flow-runner.js";
import { UpstreamPools } from "./proxy/upstream-pools.js";
import { PolicyFlows } from "./runtime/policy-flows.js";
import { PolicyRuntime, preparePolicies } from "./runtime/policy-runtime.js";

export type GatewayInput = GatewayConfigInput | LoadedConfig | { configPath: string; env?: NodeJS.ProcessEnv };

export interface StartOptions {
  /** Use this logger instead of one built from `logging:`. */
  logger?: Logger;
  /** Send log lines here instead of stdout (tests capture the access log this way). */
  logDestination?: DestinationStream;
  /** The policy hooks; no policies by default. */
  flows?: FlowRunner;
}

export interface BoundAddress {
  host: string;
  port: number;
  /** http(s)://host:port, for clients. */
  url: string;
}

export interface Gateway {
  config: GatewayConfig;
  logger: Logger;
  listeners: Array<BoundAddress & { name: string }>;
  admin: BoundAddress | undefined;
  /** The admin endpoints; add a path here to serve it. */
  adminRoutes: AdminRoutes;
  /** Stops accepting, lets in-flight requests finish for up to `deadlineMs`, then closes everything. */
  drain(deadlineMs: number): Promise<void>;
  /** Closes everything now, cutting in-flight requests. */
  close(): Promise<void>;
}

/** Starts every listener and the admin server; on any failure, stops what started and throws. */
export async function startGateway(input: GatewayInput, options: StartOptions = {}): Promise<Gateway> {
  const loaded = resolveConfig(input);
  const { config, baseDir } = loaded;
  const logger = options.logger ?? createLogger(config.logging, options.logDestination);
  const policies = options.flows ? undefined : await startPolicies(loaded, logger);
  const context: GatewayContext = {
    logger,
    flows: options.flows ?? (policies ? new PolicyFlows(policies, config.runtime.maxBodyBytes) : NO_FLOWS),
    draining: false,
    inFlight: 0,
    tunnels: new Set(),
    onIdle: undefined,
    accessLogMetadata: compileAccessLogMetadata(config.logging.accessLog.metadata),
  };
  const pools = new UpstreamPools();
  const servers: Server[] = [];
  let ready = false;
  // Plugin configuration schemas decide which `with:` fields /config hides (writeOnly).
  const pluginSchemas = new Map(
    [...(policies?.plugins ?? [])].map(([name, plugin]) => [name, JSON.parse(plugin.descriptor.configSchema) as Record<string, unknown>]),
  );
  const adminRoutes = defaultAdminRoutes(config, {
    get ready() {
      return ready;
    },
    get draining() {
      return context.draining;
    },
    get inFlight() {
      return context.inFlight;
    },
  }, pluginSchemas);

  const closeNow = async (): Promise<void> => {
    for (const server of servers) {
      server.close();
      server.closeAllConnections();
    }
    for (const socket of context.tunnels) socket.destroy();
    await Promise.all([pools.close(), ...servers.map((s) => (s.listening ? new Promise((r) => s.once("close", r)) : undefined))]);
    await policies?.close();
  };
  if (policies) {
    adminRoutes.set("/plugins", () => ({ status: 200, body: policies.describePlugins() }));
    adminRoutes.set("/metrics", () => ({ status: 200, body: policies.renderMetrics(), contentType: "text/plain; version=0.0.4" }));
  }

  const listeners: Gateway["listeners"] = [];
  let admin: BoundAddress | undefined;
  try {
    for (const listenerConfig of config.listeners) {
      const runtime = createListenerRuntime(listenerConfig, context, pools);
      const server = createListenerServer(runtime, baseDir);
      servers.push(server);
      const address = await bind(server, listenerConfig.port, listenerConfig.host, `listener "${listenerConfig.name}"`);
      listeners.push({ name: listenerConfig.name, ...boundAddress(address, runtime.protocol) });
    }
    if (config.admin.enabled) {
      const server = createAdminServer(adminRoutes);
      servers.push(server);
      admin = boundAddress(await bind(server, config.admin.port, config.admin.host, "admin server"), "http");
    }
  } catch (error) {
    await closeNow();
    if (error instanceof PortcullisError) throw error;
    throw new PortcullisError("PCS_ERR_LISTEN_FAILED", `cannot start: ${(error as Error).message}`, { cause: error });
  }
  ready = true;

  const drain = async (deadlineMs: number): Promise<void> => {
    context.draining = true;
    for (const server of servers) {
      server.close();
      server.closeIdleConnections();
    }
    if (context.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadlineMs);
        context.onIdle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await closeNow();
  };

  return { config, logger, listeners, admin, adminRoutes, drain, close: closeNow };
}

/** Loads the plugins and starts the policy pool, or returns undefined when no policy is attached. */
async function startPolicies(loaded: LoadedConfig, logger: Logger): Promise<PolicyRuntime | undefined> {
  if (Object.keys(loaded.config.plugins).length === 0) return undefined;
  const runtime = PolicyRuntime.start(await preparePolicies(loaded, logger), loaded, logger);
  if (!runtime) return undefined;
  try {
    await runtime.warmUp(loaded);
  } catch (error) {
    await runtime.close();
    throw error;
  }
  return runtime;
}

function resolveConfig(input: GatewayInput): LoadedConfig {
  if ("configPath" in input) return loadConfigFile(input.configPath, input.env);
  if ("baseDir" in input && "config" in input) return input;
  return parseConfigObject(input);
}

async function bind(server: Server, port: number, host: string, what: string): Promise<AddressInfo> {
  try {
    return await listen(server, port, host);
  } catch (error) {
    throw new PortcullisError("PCS_ERR_LISTEN_FAILED", `${what} cannot listen on ${host}:${port}: ${(error as Error).message}`, { cause: error });
  }
}

function boundAddress(address: AddressInfo, protocol: "http" | "https"): BoundAddress {
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return { host: address.address, port: address.port, url: `${protocol}://${host}:${address.port}` };
}
