import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../support/gateway.js";
import { stopAll } from "../support/servers.js";
import { policyPath } from "../runtime/support/policies.js";

afterEach(stopAll);

/** One route through `policy` (a flow-style policy entry) to the echo backend. */
const routeThrough = (policy: string) =>
  routesYaml(`
      - name: all
        policies: { request: [ ${policy} ] }
        backend: { echo: true }`);

const failure = (yaml: string) =>
  startTestGateway(yaml).then(
    () => undefined,
    (error: unknown) => error as Error & { code: string },
  );

describe("plugin configuration errors an author can act on", () => {
  it("suggests the key a misspelt `with:` key was meant to be, at its YAML line", async () => {
    const error = await failure(`plugins:\n  tag:\n    path: ${policyPath("tag")}\n${routeThrough("{ plugin: tag, with: { lable: x } }")}`);
    expect(error?.code).toBe("PCS_ERR_CONFIG_INVALID");
    expect(error?.message).toMatch(
      /test\.yaml:\d+:\d+ listeners\[0\]\.routes\[0\]\.policies\.request\[0\]\.with: must NOT have additional properties "lable" \(did you mean "label"\?\)/,
    );
  });

  it("lists the known keys when nothing is close", async () => {
    const error = await failure(`plugins:\n  tag:\n    path: ${policyPath("tag")}\n${routeThrough("{ plugin: tag, with: { label: x, colour: red } }")}`);
    expect(error?.message).toMatch(/additional properties "colour" \(expected one of: label\)/);
  });

  it("names the line of `path:` when a plugin's file is missing", async () => {
    const error = await failure(`plugins:\n  ghost:\n    path: ./no-such-policy.wasm\n${routeThrough("{ plugin: ghost }")}`);
    expect(error?.code).toBe("PCS_ERR_PLUGIN_NOT_FOUND");
    expect(error?.message).toMatch(/^plugin "ghost": cannot read .*no-such-policy\.wasm.* \(test\.yaml:3:11 plugins\.ghost\.path\)$/);
  });

  it("names the plugin's line, or its capabilities line, when a capability is not granted", async () => {
    const bare = await failure(`plugins:\n  count:\n    path: ${policyPath("count")}\n${routeThrough("{ plugin: count }")}`);
    expect(bare?.code).toBe("PCS_ERR_PLUGIN_CAPABILITY_DENIED");
    expect(bare?.message).toMatch(/imports "counters" .* \(test\.yaml:3:5 plugins\.count\)$/);
    const other = await failure(`plugins:\n  count:\n    path: ${policyPath("count")}\n    capabilities: { log: true }\n${routeThrough("{ plugin: count }")}`);
    expect(other?.message).toMatch(/imports "counters" .* \(test\.yaml:4:19 plugins\.count\.capabilities\)$/);
  });
});
