import { afterEach, describe, expect, it, vi } from "vitest";
import { NO_FLOWS, parseConfigText, type Exchange, type FlowRunner } from "../../host/src/index.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { rawRequest, stopAll } from "../support/servers.js";

afterEach(stopAll);

/** A request flow that sets metadata as policies do: [key, JSON text] pairs. */
const settingMetadata: FlowRunner = {
  ...NO_FLOWS,
  onListenerRequest: async (ex: Exchange) => {
    ex.metadata = [
      ["trace", JSON.stringify({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", sampled: true })],
      ["consumer", JSON.stringify("alice")],
      ["limit", "1000"],
      ["raw", "not json"],
      ["secret", JSON.stringify("never logged")],
    ];
    return { action: "continue" };
  },
};

const yaml = (logging: string) => `
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    routes:
      - name: echo
        backend: { echo: true }
${logging}
`;

async function accessLine(gateway: TestGateway): Promise<Record<string, unknown>> {
  await rawRequest(gateway.url("/"));
  return vi.waitFor(() => {
    const line = gateway.logs.find((l) => l.msg === "request");
    if (!line) throw new Error("no access-log line yet");
    return line;
  });
}

describe("logging.accessLog.metadata", () => {
  it("copies the configured metadata values, member paths included, into each access-log line", async () => {
    const gateway = await startTestGateway(
      yaml("logging: { accessLog: { metadata: [trace.traceId, trace.sampled, consumer, limit, raw, trace.absent, absent, consumer.length] } }"),
      { flows: settingMetadata },
    );
    const line = await accessLine(gateway);
    expect(line).toMatchObject({ route: "echo", status: 200 });
    expect(line.metadata).toEqual({
      "trace.traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
      "trace.sampled": true,
      consumer: "alice",
      limit: 1000,
      raw: "not json",
    });
  });

  it("leaves metadata out of the line when none is configured, or none of the configured keys is set", async () => {
    const unconfigured = await startTestGateway(yaml(""), { flows: settingMetadata });
    expect(await accessLine(unconfigured)).not.toHaveProperty("metadata");
    const absent = await startTestGateway(yaml("logging: { accessLog: { metadata: [consumer] } }"));
    const line = await accessLine(absent);
    expect(line).toMatchObject({ route: "echo", status: 200 });
    expect(line).not.toHaveProperty("metadata");
  });

  it("refuses empty path segments and unknown keys at load", () => {
    expect(() => parseConfigText(yaml("logging: { accessLog: { metadata: [trace..traceId] } }"), { source: "t.yaml" })).toThrow(
      /t\.yaml:\d+:\d+ logging\.accessLog\.metadata\[0\]/,
    );
    expect(() => parseConfigText(yaml("logging: { accessLog: { metdata: [a] } }"), { source: "t.yaml" })).toThrow(/did you mean "metadata"/);
  });
});
