import { BridgeServer } from "./bridge/bridge-server.js";
import { outboundFetch } from "./http/outbound-fetch.js";
import { HTTP_FETCH_CALL } from "./http/http-capability.js";
import { METRICS_RECORD_CALL } from "./metrics/metrics-capability.js";
import { MetricsRegistry, type MetricSample } from "./metrics/metrics-registry.js";
import { createStore, type StoreConfig } from "./stores/create-store.js";
import { MemoryStore } from "./stores/memory-store.js";
import type { SharedStore } from "./stores/shared-store.js";
import { registerStoreHandlers } from "./stores/store-handlers.js";

export interface CapabilityServicesOptions {
  store?: StoreConfig;
}

/** Main-thread services behind the bridged capabilities. */
export interface CapabilityServices {
  bridge: BridgeServer;
  store: SharedStore;
  /** The memory backend's counter table, which policy workers update directly; undefined with Redis. */
  sharedCounters: SharedArrayBuffer | undefined;
  metrics: MetricsRegistry;
  /**
   * Give it every message workers post to their parent (`pool.on("message", ...)`,
   * `worker.on("message", ...)`); returns true for the bridge's own messages.
   */
  accept(message: unknown): boolean;
  renderPrometheus(): string;
  close(): Promise<void>;
}

export function startCapabilityServices(options: CapabilityServicesOptions = {}): CapabilityServices {
  const store = createStore(options.store);
  const metrics = new MetricsRegistry();
  const bridge = new BridgeServer().register(HTTP_FETCH_CALL, outboundFetch).register(METRICS_RECORD_CALL, (sample: MetricSample) => metrics.record(sample));
  registerStoreHandlers(bridge, store);
  return {
    bridge,
    store,
    sharedCounters: store instanceof MemoryStore ? store.counters.buffer : undefined,
    metrics,
    accept: (message) => bridge.accept(message),
    renderPrometheus: () => metrics.renderPrometheus(),
    async close() {
      bridge.close();
      await store.close();
    },
  };
}
