import { describe, expect, it } from "vitest";
import { MetricsRegistry } from "../../host/src/capabilities/index.js";

describe("policies' metrics beside the gateway's", () => {
  it("drops a policy's samples named like the gateway's own (portcullis_*), so /metrics never has a family twice", () => {
    const registry = new MetricsRegistry();
    registry.record({ kind: "counter", name: "portcullis_requests_total", labels: [{ name: "policy", value: "p" }], value: 1 });
    registry.record({ kind: "counter", name: "portcullis_x", labels: [], value: 1 });
    registry.record({ kind: "counter", name: "my_portcullis_requests_total", labels: [], value: 1 });
    expect(registry.dropped).toBe(2);
    expect(registry.renderPrometheus()).toBe("# TYPE my_portcullis_requests_total counter\nmy_portcullis_requests_total 1\n");
  });
});
