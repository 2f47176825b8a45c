import { afterEach, describe, expect, it } from "vitest";
import { MetricsRegistry, startCapabilityServices, type CapabilityServices } from "../../host/src/capabilities/index.js";
import { startCapabilityWorkers, type CapabilityWorker } from "./support/capability-workers.js";

describe("metrics registry", () => {
  it("renders counters, gauges and histograms in the Prometheus text format", () => {
    const registry = new MetricsRegistry();
    registry.record({ kind: "counter", name: "auth_failures_total", labels: [{ name: "reason", value: 'bad "key"\n' }], value: 1 });
    registry.record({ kind: "counter", name: "auth_failures_total", labels: [{ name: "reason", value: 'bad "key"\n' }], value: 2 });
    registry.record({
      kind: "gauge",
      name: "jwks_keys",
      labels: [
        { name: "b", value: "2" },
        { name: "a", value: "1" },
      ],
      value: 3.5,
    });
    registry.record({ kind: "histogram", name: "lookup_ms", labels: [], value: 3 });
    registry.record({ kind: "histogram", name: "lookup_ms", labels: [], value: 30_000 });
    expect(registry.renderPrometheus()).toBe(
      [
        "# TYPE auth_failures_total counter",
        'auth_failures_total{reason="bad \\"key\\"\\n"} 3',
        "# TYPE jwks_keys gauge",
        'jwks_keys{a="1",b="2"} 3.5',
        "# TYPE lookup_ms histogram",
        'lookup_ms_bucket{le="1"} 0',
        'lookup_ms_bucket{le="2.5"} 0',
        ...[5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000].map((le) => `lookup_ms_bucket{le="${le}"} 1`),
        'lookup_ms_bucket{le="+Inf"} 2',
        "lookup_ms_sum 30003",
        "lookup_ms_count 2",
        "",
      ].join("\n"),
    );
  });

  it("drops bad names, negative counter steps, kind conflicts and series beyond the limit", () => {
    const registry = new MetricsRegistry({ maxSeriesPerFamily: 2 });
    registry.record({ kind: "counter", name: "bad name", labels: [], value: 1 });
    registry.record({ kind: "counter", name: "c", labels: [], value: -1 });
    registry.record({ kind: "counter", name: "c", labels: [{ name: "__reserved", value: "x" }], value: 1 });
    registry.record({ kind: "counter", name: "c", labels: [{ name: "n", value: "1" }], value: 1 });
    registry.record({ kind: "gauge", name: "c", labels: [], value: 1 });
    registry.record({ kind: "counter", name: "c", labels: [{ name: "n", value: "2" }], value: 1 });
    registry.record({ kind: "counter", name: "c", labels: [{ name: "n", value: "3" }], value: 1 });
    expect(registry.dropped).toBe(5);
    expect(registry.renderPrometheus()).toBe('# TYPE c counter\nc{n="1"} 1\nc{n="2"} 1\n');
  });
});

describe("metrics capability (fire-and-forget from workers)", () => {
  let services: CapabilityServices | undefined;
  let workers: CapabilityWorker[] = [];
  afterEach(async () => {
    await Promise.all(workers.map((worker) => worker.terminate()));
    await services?.close();
  });

  it("aggregates samples from several workers, labelled with the policy name", async () => {
    services = startCapabilityServices();
    workers = await startCapabilityWorkers(services, 2, { grants: { metrics: true }, policyName: "api-key" });
    const add = { capability: "metrics", method: "counterAdd", args: ["rejections_total", [{ name: "policy", value: "spoofed" }], 1] };
    await Promise.all(workers.map((worker) => worker.run([add], { repeat: 100 })));
    await expect.poll(() => services!.renderPrometheus()).toContain('rejections_total{policy="api-key"} 200');
  });
});
