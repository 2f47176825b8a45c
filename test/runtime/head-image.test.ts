import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { compilePolicy, instantiatePolicy, type Header, type RequestHead } from "@portcullis/sdk/component";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../host/src/config/load-config.js";
import type { FlowResult } from "../../host/src/runtime/flow-messages.js";
import { preparePolicies } from "../../host/src/runtime/policy-runtime.js";
import { inThreadExecutor } from "../../host/src/runtime/worker/in-thread.js";
import { routesYaml } from "../support/gateway.js";
import { plugin, policyPath } from "./support/policies.js";

// A head is lowered once into an image and copied into each policy's memory (sdk record-image.ts).
// The `mirror` fixture reports the head it was given; what each policy of a chain saw is checked
// against the head as the policies before it left it, computed here independently.

const mirror = (label: string) => `{ plugin: mirror, with: { label: ${label} } }`;

/** A FlowExecutor on this thread, set up as a policy worker's is, for route "r" with `policies` (YAML flow style). */
async function executorFor(policies: string) {
  const yaml = `
plugins:
${plugin("mirror")}${plugin("misbehave")}${plugin("misbehave", "    limits: { failure: open }\n", "lenient")}
runtime: { cacheDir: ${tmpdir()}/portcullis-test-head-image }${routesYaml(`
      - name: r
        match: { path: { prefix: / } }
        policies: ${policies}
        backend: { echo: true }`)}`;
  const loaded = parseConfigText(yaml, { baseDir: tmpdir(), env: {} });
  const prepared = await preparePolicies(loaded);
  return inThreadExecutor(prepared, loaded);
}

/** Non-ASCII (accents, a surrogate pair), empty values and names, and many headers. */
function awkwardHead(count: number, salt = ""): RequestHead {
  const headers: Header[] = [];
  for (let i = 0; i < count; i++) {
    const value = i % 5 === 0 ? "" : i % 3 === 0 ? `caf\u00e9 \u2713 \u{1F600} ${i}${salt}` : `v${i}`;
    headers.push({ name: `x-h${i}`, value });
  }
  headers.push({ name: "x-remove-b", value: "gone after b" }, { name: "x-empty-a", value: "not yet" });
  return {
    method: "GET",
    scheme: "https",
    authority: "b\u00fccher.example:8443",
    path: "/caf%C3%A9",
    query: "",
    headers,
    clientAddress: "::1",
    requestId: "",
    listener: "main",
    route: "r",
  };
}

function requestTask(head: RequestHead) {
  return {
    flow: "request" as const,
    listener: "main",
    withListenerChain: false,
    route: "r",
    head,
    body: undefined,
    bodyTooLarge: false,
    metadata: [],
    quarantined: [],
    slot: -1,
  };
}

/** What `mirror` reports of a head (its `seen-<label>` text). */
function seenText(head: RequestHead): string {
  const fields = [head.method, head.scheme, head.authority, head.path, head.query, head.clientAddress, head.requestId, head.listener, head.route];
  return fields.join("\n") + head.headers.map((h) => `\n${h.name}=${h.value}`).join("");
}

/** The head after `mirror` with `label` (its edits, in the order it makes them). */
function afterMirror(head: RequestHead, label: string): RequestHead {
  let headers = [...head.headers, { name: "x-mirror", value: `${label} \u00e9\u2713\u{1F600}` }];
  headers = [...headers.filter((h) => h.name !== `x-empty-${label}`), { name: `x-empty-${label}`, value: "" }];
  headers = headers.filter((h) => h.name !== `x-remove-${label}`);
  return { ...head, query: `${head.query}&${label}`, headers };
}

function seenBy(result: FlowResult, key: string): string | undefined {
  const entry = result.metadata.find(([k]) => k === key);
  return entry === undefined ? undefined : (JSON.parse(entry[1]) as string);
}

describe("a head lowered once per flow", () => {
  it("reaches each of three editing policies as the one before left it, flow after flow", async () => {
    const executor = await executorFor(`{ request: [ ${mirror("a")}, ${mirror("b")}, ${mirror("c")} ] }`);
    // A, then B (one header value differs: a stale image would show A's), then A again, then a small head.
    const heads = [awkwardHead(300), awkwardHead(300, "!"), awkwardHead(300), awkwardHead(0)];
    for (const head of heads) {
      const result = (await executor.run(requestTask(head))) as FlowResult;
      expect(result.outcome).toBe("continue");
      let expected = head;
      for (const label of ["a", "b", "c"]) {
        expect(seenBy(result, `seen-${label}`)).toBe(seenText(expected));
        expected = afterMirror(expected, label);
      }
      expect(result.outcome === "continue" && result.head).toEqual(expected);
    }
  });

  it("hands the response chain the response head each policy before it left", async () => {
    const executor = await executorFor(`{ response: [ ${mirror("a")}, ${mirror("b")} ] }`);
    const request = awkwardHead(20);
    const headers: Header[] = [
      { name: "content-type", value: "text/plain; charset=utf-8" },
      { name: "x-note", value: "\u00e9\u{1F600}" },
      { name: "x-blank", value: "" },
    ];
    const task = {
      flow: "response" as const,
      listener: "main",
      route: "r",
      request,
      response: { status: 203, headers },
      body: undefined,
      metadata: [],
      quarantined: [],
      slot: -1,
    };
    const result = executor.run(task) as FlowResult;
    expect(result.outcome).toBe("continue");
    const text = (hs: Header[]) => `203${hs.map((h) => `\n${h.name}=${h.value}`).join("")}`;
    expect(seenBy(result, "seen-response-a")).toBe(text(headers));
    expect(seenBy(result, "seen-response-b")).toBe(text([...headers, { name: "x-mirror-response", value: "a" }]));
  });

  it("never serves a cached image for a head changed in place", async () => {
    const compiled = await compilePolicy(readFileSync(policyPath("mirror")));
    const instance = instantiatePolicy(compiled, {});
    expect(instance.init('{"label":"x"}').tag).toBe("ok");
    const head = awkwardHead(8);
    const seen = () => {
      const result = instance.onRequest({ head, body: undefined, metadata: [] });
      if (result.tag !== "ok" || result.val.tag !== "continue") throw new Error("mirror did not continue");
      const set = result.val.val.metadata.find((edit) => edit.tag === "set" && edit.val.key === "seen-x");
      return set?.tag === "set" ? (JSON.parse(set.val.value) as string) : undefined;
    };
    expect(seen()).toBe(seenText(head));
    head.headers[3]!.value = "changed in place \u2713";
    expect(seen()).toBe(seenText(head));
    head.headers.push({ name: "x-added", value: "" });
    head.path = "/other";
    expect(seen()).toBe(seenText(head));
  });

  it("after a policy traps mid-chain, the rest of the chain and the next flows see the head intact", async () => {
    const open = await executorFor(`{ request: [ ${mirror("a")}, { plugin: lenient }, ${mirror("c")} ] }`);
    const trapping = awkwardHead(40);
    trapping.headers.push({ name: "x-misbehave", value: "trap" });
    const trapped = (await open.run(requestTask(trapping))) as FlowResult;
    expect(trapped.outcome).toBe("continue");
    expect(trapped.skipped.map((failure) => failure.code)).toEqual(["PCS_ERR_POLICY_TRAPPED"]);
    expect(seenBy(trapped, "seen-c")).toBe(seenText(afterMirror(trapping, "a")));
    // The trapped instance is replaced by a fresh one, which takes the image like the others.
    const calm = awkwardHead(40);
    const next = (await open.run(requestTask(calm))) as FlowResult;
    const passed = afterMirror(calm, "a");
    expect(seenBy(next, "seen-c")).toBe(seenText({ ...passed, headers: [...passed.headers, { name: "x-misbehave-passed", value: "yes" }] }));

    const closed = await executorFor(`{ request: [ ${mirror("a")}, { plugin: misbehave }, ${mirror("c")} ] }`);
    const failed = (await closed.run(requestTask(trapping))) as FlowResult;
    expect(failed.outcome === "failed" && failed.failure.code).toBe("PCS_ERR_POLICY_TRAPPED");
    const after = (await closed.run(requestTask(calm))) as FlowResult;
    expect(seenBy(after, "seen-a")).toBe(seenText(calm));
    expect(seenBy(after, "seen-c")).toBe(seenText({ ...passed, headers: [...passed.headers, { name: "x-misbehave-passed", value: "yes" }] }));
  });
});
