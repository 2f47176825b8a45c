import type { BridgeClient } from "../bridge/bridge-client.js";
import type { Capabilities, Label } from "../contract.js";
import type { MetricKind, MetricSample } from "./metrics-registry.js";

export const METRICS_RECORD_CALL = "metrics.record";

/**
 * Worker side of `metrics`: each sample is a fire-and-forget message to the main
 * thread's registry, labelled with the policy's name (a policy cannot override it).
 */
export function createMetrics(bridge: BridgeClient, policyName: string): Capabilities["metrics"] {
  const send = (kind: MetricKind, name: string, labels: Label[], value: number): void => {
    const sample: MetricSample = {
      kind,
      name,
      labels: [...labels.filter((label) => label.name !== "policy"), { name: "policy", value: policyName }],
      value,
    };
    bridge.notify(METRICS_RECORD_CALL, sample);
  };
  return {
    counterAdd: (name, labels, value) => send("counter", name, labels, value),
    gaugeSet: (name, labels, value) => send("gauge", name, labels, value),
    histogramObserve: (name, labels, value) => send("histogram", name, labels, value),
  };
}
