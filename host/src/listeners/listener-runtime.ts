import { BlockList, isIPv4 } from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import type { ListenerConfig, RouteConfig } from "../config/schema.js";
import { createBackend, type BackendRuntime } from "../proxy/backends.js";
import type { AccessLogMetadata } from "../proxy/access-log-metadata.js";
import type { FlowRunner } from "../proxy/flow-runner.js";
import type { RequestObserver } from "../observability/request-observer.js";
import type { LoadShedder } from "../proxy/resilience/load-shedder.js";
import type { UpstreamPools } from "../proxy/upstream-pools.js";
import { compileRouteTable, type RouteTable } from "../routing/route-table.js";

/** State every listener of one gateway shares. */
export interface GatewayContext {
  logger: Logger;
  flows: FlowRunner;
  draining: boolean;
  /** Requests accepted and not yet closed, WebSocket tunnels included. */
  inFlight: number;
  /** Client sockets of open WebSocket tunnels, closed when the gateway stops. */
  tunnels: Set<Duplex>;
  /** Called whenever inFlight drops to zero (used by drain). */
  onIdle: (() => void) | undefined;
  /** `logging.accessLog.metadata`, compiled; undefined when none is configured. */
  accessLogMetadata: AccessLogMetadata | undefined;
  /** Metrics, traces and the live debug view (host/src/observability), told of each request's phases. */
  observer?: RequestObserver;
  /** `loadShedding` and routes' maxInFlight. */
  shedder: LoadShedder;
}

/** A listener's configuration compiled for serving. */
export interface ListenerRuntime {
  name: string;
  config: ListenerConfig;
  protocol: "http" | "https";
  routeTable: RouteTable;
  /** Indexed like routeTable.routes. */
  routes: RouteRuntime[];
  trustedProxies: BlockList;
  gateway: GatewayContext;
  /** The gateway's logger bound to this listener (its name is serialized once, not per line). */
  accessLog: Logger;
}

export interface RouteRuntime {
  name: string;
  config: RouteConfig;
  backend: BackendRuntime;
  /** Per-method backend overrides. */
  operationBackends: Map<string, BackendRuntime> | undefined;
  maxBodyBytes: number;
}

export function createListenerRuntime(config: ListenerConfig, gateway: GatewayContext, pools: UpstreamPools): ListenerRuntime {
  return {
    name: config.name,
    config,
    protocol: config.tls ? "https" : "http",
    routeTable: compileRouteTable(config),
    routes: config.routes.map((route) => createRouteRuntime(route, config, pools)),
    trustedProxies: blockListOf(config.trustedProxies),
    gateway,
    accessLog: gateway.logger.child({ listener: config.name }),
  };
}

function createRouteRuntime(route: RouteConfig, listener: ListenerConfig, pools: UpstreamPools): RouteRuntime {
  let operationBackends: Map<string, BackendRuntime> | undefined;
  for (const [method, operation] of Object.entries(route.operations ?? {})) {
    if (operation?.backend) (operationBackends ??= new Map()).set(method, createBackend(operation.backend, route, pools));
  }
  return {
    name: route.name,
    config: route,
    backend: createBackend(route.backend, route, pools),
    operationBackends,
    maxBodyBytes: route.maxBodyBytes ?? listener.limits.maxBodyBytes,
  };
}

function blockListOf(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split("/") as [string, string | undefined];
    const family = isIPv4(address) ? "ipv4" : "ipv6";
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return list;
}

/** Whether a peer address (see plainAddress) is a trusted proxy. */
export function isTrusted(list: BlockList, address: string): boolean {
  return address !== "" && list.check(address, isIPv4(address) ? "ipv4" : "ipv6");
}

/** An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, seen on dual-stack listeners) as plain IPv4. */
export function plainAddress(address: string): string {
  return address.startsWith("::ffff:") && isIPv4(address.slice(7)) ? address.slice(7) : address;
}
