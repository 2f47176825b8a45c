import { afterEach, describe, expect, it } from "vitest";
import { NO_FLOWS, type Exchange, type FlowRunner } from "../../host/src/index.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { rawRequest, startUpstream, stopAll } from "../support/servers.js";

afterEach(stopAll);

/** The hooks every runner has (onUpstreamEvents is optional: streamed answers, test/llm). */
type Hook = Exclude<keyof FlowRunner, "onUpstreamEvents">;
const HOOKS: Hook[] = ["onListenerRequest", "onRouteRequest", "onUpstreamResponse", "onFault", "onGatewayResponse"];

/**
 * A flow runner whose hook named in `x-break` fails, either by throwing synchronously or by
 * rejecting (`x-break-how`): a bug anywhere in the request path's promise chains.
 */
function brokenFlows(): FlowRunner {
  const breaks = (ex: Exchange, hook: Hook): "throw" | "reject" | undefined => {
    const header = ex.rawHeaders.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === "x-break");
    if (header < 0 || ex.rawHeaders[header + 1] !== hook) return undefined;
    const how = ex.rawHeaders.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === "x-break-how");
    return how >= 0 && ex.rawHeaders[how + 1] === "throw" ? "throw" : "reject";
  };
  const wrap = <A extends unknown[], R>(hook: Hook, fallback: (...args: A) => R) =>
    ((ex: Exchange, ...rest: unknown[]) => {
      const how = breaks(ex, hook);
      if (how === "throw") throw new Error(`bug in ${hook}`);
      if (how === "reject") return Promise.reject(new Error(`bug in ${hook}`));
      return (fallback as (...args: unknown[]) => R)(ex, ...rest);
    }) as unknown as (...args: A) => R;
  return Object.fromEntries(HOOKS.map((hook) => [hook, wrap(hook, NO_FLOWS[hook] as (...args: unknown[]) => unknown)])) as unknown as FlowRunner;
}

async function gatewayWithBrokenFlows(): Promise<TestGateway> {
  const upstream = await startUpstream((_req, res) => res.end("upstream"));
  return startTestGateway(
    `
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    routes:
      - name: up
        match: { path: { prefix: /up } }
        backend: { url: "${upstream.url}" }
      - name: made-here
        match: { path: { prefix: /here } }
        backend: { directResponse: { status: 200, body: made here } }
      - name: failing
        match: { path: { prefix: /dead } }
        backend: { url: "http://127.0.0.1:1" }
`,
    { flows: brokenFlows() },
  );
}

describe("every promise chain on the request path ends in a handler", () => {
  // For each hook, a request that reaches it: upstream answers meet `onUpstreamResponse`, the gateway's
  // own answers meet `onGatewayResponse`, errors meet `onFault`.
  const paths: Record<Hook, string> = {
    onListenerRequest: "/up",
    onRouteRequest: "/up",
    onUpstreamResponse: "/up",
    onGatewayResponse: "/here",
    onFault: "/dead",
  };
  for (const hook of HOOKS) {
    for (const how of ["throw", "reject"]) {
      it(`a ${how} in ${hook} gives that request a 5xx and a log line; the next request is served`, async () => {
        const gateway = await gatewayWithBrokenFlows();
        const broken = await rawRequest(gateway.url(paths[hook]), { headers: { "x-break": hook, "x-break-how": how } });
        expect(broken.status).toBeGreaterThanOrEqual(500);
        expect(broken.status).toBeLessThan(600);
        expect(gateway.logs.some((l) => JSON.stringify(l).includes(`bug in ${hook}`))).toBe(true);
        expect((await rawRequest(gateway.url("/up"))).status).toBe(200);
        expect((await rawRequest(gateway.url("/here"))).status).toBe(200);
      });
    }
  }
});
