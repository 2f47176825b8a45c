import { routesYaml, startTestGateway, type TestGateway } from "./gateway.js";
import { builtPolicy } from "./plugin-examples.js";

/**
 * A gateway with one first-party policy on one route ("all", every path) to `upstreamUrl`: `grants` is
 * the flow-style capabilities mapping, `withYaml` the flow-style `with:` block. The time budget defaults
 * to 3 s, for policies that call out (a call counts against it).
 */
export function onePolicyGateway(plugin: string, grants: string, withYaml: string, upstreamUrl: string, budgetMs = 3_000): Promise<TestGateway> {
  return startTestGateway(`
plugins:
  ${plugin}:
    path: ${builtPolicy(plugin)}
    capabilities: ${grants}
    limits: { timeoutMs: ${budgetMs} }
${routesYaml(`
      - name: all
        policies:
          request:
            - plugin: ${plugin}
              with: ${withYaml}
        backend: { url: ${upstreamUrl} }
`)}`);
}
