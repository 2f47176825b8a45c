import { afterEach, describe, expect, it } from "vitest";
import { answerOf, liveFetch, loadPolicy } from "@portcullis/sdk/testing";
import type { RequestDecision, Result, FlowError } from "@portcullis/sdk/component";
import { startUpstream, stopAll } from "../support/servers.js";
import { policyPath } from "../runtime/support/policies.js";

// The SDK harness answers dispatched calls as the gateway does: scripted (fakes.fetch) or from a real server (liveFetch).

afterEach(stopAll);

const text = (value: string) => new TextEncoder().encode(value);
const headerEdits = (result: Result<RequestDecision, FlowError>) => {
  if (result.tag !== "ok" || result.val.tag !== "continue") throw new Error(`expected continue, got ${JSON.stringify(result)}`);
  return result.val.val.headers;
};

describe("the harness with dispatched calls", () => {
  it("answers them from fakes.fetch, in order and round after round, merging the continue edits", async () => {
    const policy = await loadPolicy(policyPath("call-out"), { config: { url: "http://service.test/x", calls: 2 } });
    policy.fakes.fetch = (request) => ({ tag: "ok", val: { status: 200, headers: [], body: text(request.url.endsWith("n=0") ? "again" : "done") } });
    const result = policy.onRequest();
    expect(policy.fakes.fetches.map((f) => f.url)).toEqual(["http://service.test/x?n=0", "http://service.test/x?n=1", "http://service.test/x?n=again"]);
    expect(headerEdits(result)).toEqual([1, 2, 3].map(() => ({ tag: "append", val: { name: "x-call", value: "200" } })));
    expect(policy.fakes.dispatched).toEqual([]);
  });

  it("hands the policy the error of a failed call", async () => {
    const policy = await loadPolicy(policyPath("call-out"), { config: { url: "http://service.test/x" } });
    policy.fakes.fetch = () => ({ tag: "err", val: { tag: "unreachable", val: "refused" } });
    expect(answerOf(policy.onRequest()).json()).toEqual({ error: "unreachable" });
  });

  it("calls a real server with liveFetch through onRequestAsync, a timeout included", async () => {
    const server = await startUpstream((req, res) => {
      if (!req.url?.startsWith("/hang")) res.end("done");
    });
    const policy = await loadPolicy(policyPath("call-out"), { config: { url: `${server.url}/ok` } });
    policy.fakes.fetch = liveFetch;
    expect(headerEdits(await policy.onRequestAsync())).toEqual([{ tag: "append", val: { name: "x-call", value: "200" } }]);
    expect(() => policy.onRequest()).toThrow(/onRequestAsync/);
    const hanging = await loadPolicy(policyPath("call-out"), { config: { url: `${server.url}/hang`, timeoutMs: 200 } });
    hanging.fakes.fetch = liveFetch;
    expect(answerOf(await hanging.onRequestAsync()).json()).toEqual({ error: "timeout" });
  });
});
