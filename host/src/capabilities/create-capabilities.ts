import { resolve } from "node:path";
import { workerBridgeClient, type BridgeClient } from "./bridge/bridge-client.js";
import { PortcullisError } from "../errors.js";
import { createClock, createRandom } from "./clock-random.js";
import type { Capabilities } from "./contract.js";
import type { CapabilityGrants } from "./grants.js";
import { createCrypto } from "./crypto/crypto-capability.js";
import { loadBcrypt } from "./crypto/password/verify-password.js";
import { celEnvironment } from "./expression/cel.js";
import { createExpression } from "./expression/expression-capability.js";
import { createFiles } from "./files/files-capability.js";
import { createGeo, loadMaxmind } from "./geo/geo-capability.js";
import { createHttp } from "./http/http-capability.js";
import { createJsonSchema, loadAjv } from "./json-schema/json-schema-capability.js";
import { createRegex, loadRegexEngine } from "@portcullis/sdk/component";
import { JsonLineLogger, type LineLogger } from "./log/json-line-logger.js";
import { createLog } from "./log/log-capability.js";
import { createMetrics } from "./metrics/metrics-capability.js";
import { SharedCounters } from "./stores/shared-counters.js";
import { bridgedCounters, createCounters, createKv, sharedMemoryCounters } from "./stores/store-capabilities.js";

export interface CapabilityContext {
  /** Policy (plugin) name, attached to logs and metrics. */
  policyName: string;
  /** Directory that relative file and database paths resolve against (the config file's). */
  baseDir: string;
  /** Parent of the `log` capability's logger; by default JSON lines at info level on stdout. */
  logger?: LineLogger;
  /** The bridge to the main thread; by default this worker's, connected on first need. */
  bridge?: BridgeClient;
  /** The memory backend's counter table (MemoryStore.counters.buffer): counters then skip the bridge. */
  sharedCounters?: SharedArrayBuffer;
  /** Longest wait for a shared-store call, after which it answers `unavailable` (default 2 s). */
  bridgeTimeoutMs?: number;
}

let fallbackLogger: LineLogger | undefined;

/**
 * Loads the libraries behind the capabilities these grants include (ajv, maxmind, cel-js, re2js,
 * bcryptjs), and cel-js also for `when:` conditions. A policy worker calls it before its first flow:
 * loading one inside a flow would be charged to that flow's time budget. Nothing else loads them,
 * so a worker whose plugins are granted none of them starts without them.
 */
export function loadCapabilityModules(grants: Iterable<CapabilityGrants>, options: { conditions: boolean }): void {
  let expressions = options.conditions;
  for (const granted of grants) {
    if (granted["json-schema"]) loadAjv();
    if (granted.geo) loadMaxmind();
    if (granted.regex) loadRegexEngine();
    if (granted.crypto) loadBcrypt();
    if (granted.expression) expressions = true;
  }
  if (expressions) celEnvironment();
}

/** One view per table and thread: every plugin instance of a worker shares it. */
const counterViews = new WeakMap<SharedArrayBuffer, SharedCounters>();
function sharedCountersView(buffer: SharedArrayBuffer): SharedCounters {
  let view = counterViews.get(buffer);
  if (!view) counterViews.set(buffer, (view = new SharedCounters(buffer)));
  return view;
}

/** Builds the capabilities of one plugin instance: exactly the granted ones. */
export function createCapabilities(grants: CapabilityGrants, context: CapabilityContext): Partial<Capabilities> {
  const bridge = (): BridgeClient => (context.bridge ??= workerBridgeClient());
  const bridgeTimeoutMs = context.bridgeTimeoutMs ?? 2_000;
  const capabilities: Partial<Capabilities> = {};
  if (grants.log) {
    const logger = context.logger ?? (fallbackLogger ??= new JsonLineLogger("info"));
    capabilities.log = createLog(logger, context.policyName);
  }
  if (grants.clock) capabilities.clock = createClock();
  if (grants.random) capabilities.random = createRandom();
  if (grants.crypto) capabilities.crypto = createCrypto();
  if (grants.counters) {
    capabilities.counters = createCounters(
      context.sharedCounters ? sharedMemoryCounters(sharedCountersView(context.sharedCounters)) : bridgedCounters(bridge(), bridgeTimeoutMs),
    );
  }
  if (grants.kv) capabilities.kv = createKv(bridge(), bridgeTimeoutMs);
  if (grants.metrics) capabilities.metrics = createMetrics(bridge(), context.policyName);
  if (grants.expression) capabilities.expression = createExpression();
  if (grants["json-schema"]) capabilities.jsonSchema = createJsonSchema();
  if (grants.regex) capabilities.regex = createRegex();
  if (grants.http) {
    if (!Array.isArray(grants.http.allow)) throw configError("http", "needs an `allow` list of hosts");
    capabilities.http = createHttp(bridge(), grants.http);
  }
  if (grants.files) {
    if (!Array.isArray(grants.files.allow)) throw configError("files", "needs an `allow` list of paths");
    capabilities.files = createFiles(grants.files, context.baseDir);
  }
  if (grants.geo) {
    const database = grants.geo.database;
    capabilities.geo = createGeo(database === undefined ? undefined : resolve(context.baseDir, database));
  }
  return capabilities;
}

function configError(capability: string, problem: string): PortcullisError {
  return new PortcullisError("PCS_ERR_CAPABILITY_CONFIG", `capability "${capability}" ${problem}`);
}
