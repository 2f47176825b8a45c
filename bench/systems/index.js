// The systems the bench compares, in the order they are run and printed. Each runs in its own process
// in front of the same upstream. `workloads` are the cases it is measured on; `fullOnly` systems are
// skipped by --quick; `needsPolicies` systems need the built test policies; `unavailable()` explains
// why a system cannot run yet.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startProcess, waitForOutput } from "../lib/children.js";
import { ANNOUNCEMENT } from "./announce.js";
import { startNginx } from "./nginx.js";
import { chainOf, startPortcullis } from "./portcullis.js";

const script = (name) => fileURLToPath(new URL(`./${name}.js`, import.meta.url));
const PLUGINS_DIR = fileURLToPath(new URL("../../plugins/", import.meta.url));
const REALISTIC_CHAIN = ["api-key", "rate-limit", "headers"];
const BODY_GUARDS = ["validate", "pii-guard"];

/** `unavailable` for systems that need first-party plugins built by `npm install`. */
const needsBuilt = (names) => () => {
  const missing = names.filter((name) => !existsSync(`${PLUGINS_DIR}${name}/build/${name}.wasm`));
  return missing.length ? `not available (build plugins/${missing.join(", plugins/")} with npm install)` : undefined;
};
const firstParty = (name, capabilities) => ({ path: `${PLUGINS_DIR}${name}/build/${name}.wasm`, capabilities });

/** The JSON Schema of the bench's request bodies (bench/lib/workloads.js jsonBody). */
const ORDER_SCHEMA = {
  type: "object",
  required: ["order", "items"],
  additionalProperties: false,
  properties: {
    order: { type: "string" },
    items: {
      type: "array",
      items: {
        type: "object",
        required: ["id", "sku", "quantity"],
        additionalProperties: false,
        properties: {
          id: { type: "integer" },
          sku: { type: "string", pattern: "^sku-[0-9]{6}$" },
          quantity: { type: "integer", minimum: 0 },
          note: { type: "string" },
        },
      },
    },
  },
};

/** Starts one of the Node servers in this folder and reads its announced URL. */
async function startNodeServer(name, args, { runDir, extraNodeArgs = [] }) {
  const handle = startProcess(name, process.execPath, [...extraNodeArgs, script(name), ...args], { logDir: runDir });
  const [, url] = await waitForOutput(handle, ANNOUNCEMENT);
  return { handle, url };
}

export async function startUpstream(kind, { runDir }) {
  return kind === "nginx" ? startNginx("upstream", { runDir }) : startNodeServer("upstream-node", [], { runDir });
}

/** Portcullis with `request` pass-through policies (distinct plugins built from `pass`). */
function passChain(count) {
  return {
    id: `portcullis-${count}`,
    label: `Portcullis, ${count} pass polic${count === 1 ? "y" : "ies"} (request)`,
    needsPolicies: true,
    workloads: ["get"],
    start: (ctx) => {
      const chain = chainOf("pass", ctx.policies.pass, count);
      return startPortcullis(`portcullis-${count}`, { upstreamUrl: ctx.upstreamUrl, plugins: chain.plugins, request: chain.entries }, ctx);
    },
  };
}

export const SYSTEMS = [
  {
    id: "bare",
    label: "bare proxy (node:http + undici)",
    reference: true,
    workloads: ["get", "json-1k", "json-64k"],
    start: (ctx) => startNodeServer("bare-proxy", [ctx.upstreamUrl], ctx),
  },
  {
    id: "fast-gateway",
    label: "fast-gateway 3",
    workloads: ["get"],
    start: (ctx) => startNodeServer("fast-gateway", [ctx.upstreamUrl], ctx),
  },
  {
    id: "fastify-http-proxy",
    label: "fastify 5 + @fastify/http-proxy 11",
    workloads: ["get"],
    start: (ctx) => startNodeServer("fastify-http-proxy", [ctx.upstreamUrl], ctx),
  },
  {
    id: "nginx-proxy",
    label: "nginx as a proxy (1 worker)",
    workloads: ["get"],
    unavailable: (ctx) => (ctx.tools.nginx ? undefined : "nginx is not installed"),
    start: (ctx) => startNginx("proxy", ctx),
  },
  {
    id: "portcullis-0",
    label: "Portcullis, no policies",
    workloads: ["get", "json-1k", "json-64k"],
    start: (ctx) => startPortcullis("portcullis-0", { upstreamUrl: ctx.upstreamUrl }, ctx),
  },
  {
    id: "portcullis-0-log",
    label: "Portcullis, no policies, access log on",
    fullOnly: true,
    workloads: ["get"],
    start: (ctx) => startPortcullis("portcullis-0-log", { upstreamUrl: ctx.upstreamUrl, accessLog: true }, ctx),
  },
  passChain(1),
  passChain(3),
  passChain(10),
  {
    id: "portcullis-3-3",
    label: "Portcullis, 3 pass (request) + 3 tag (response)",
    needsPolicies: true,
    workloads: ["get"],
    start: (ctx) => {
      const request = chainOf("pass", ctx.policies.pass, 3);
      const response = chainOf("tag", ctx.policies.tag, 3, (i) => ({ label: `t${i}` }));
      const settings = {
        upstreamUrl: ctx.upstreamUrl,
        plugins: { ...request.plugins, ...response.plugins },
        request: request.entries,
        response: response.entries,
      };
      return startPortcullis("portcullis-3-3", settings, ctx);
    },
    verify: (response) => (response.headers.get("x-response-order") ? undefined : "no x-response-order header: the response policies did not run"),
  },
  {
    id: "portcullis-realistic",
    label: "Portcullis, realistic chain (api-key, rate-limit, headers)",
    workloads: ["get"],
    unavailable: needsBuilt(REALISTIC_CHAIN),
    start: (ctx) => {
      const settings = {
        upstreamUrl: ctx.upstreamUrl,
        plugins: {
          "api-key": firstParty("api-key", { crypto: true }),
          "rate-limit": firstParty("rate-limit", { counters: true, expression: true, crypto: true }),
          headers: firstParty("headers", { expression: true }),
        },
        request: [
          { plugin: "api-key", with: { in: "header", name: "x-api-key", keys: [{ consumer: "bench", key: "bench-key", tier: "premium" }] } },
          {
            plugin: "rate-limit",
            with: {
              key: "metadata.consumer",
              tier: "metadata.tier",
              defaultTier: "premium",
              tiers: { premium: [{ name: "per-second", requests: 1_000_000, window: "1s" }] },
            },
          },
          { plugin: "headers", with: { set: { "x-consumer": { expression: "metadata.consumer" } } } },
        ],
      };
      return startPortcullis("portcullis-realistic", settings, ctx);
    },
  },
  {
    id: "portcullis-shout",
    label: "Portcullis, shout (reads the request body)",
    needsPolicies: true,
    workloads: ["json-1k", "json-64k"],
    start: (ctx) => {
      const settings = { upstreamUrl: ctx.upstreamUrl, plugins: { shout: { path: ctx.policies.shout } }, request: [{ plugin: "shout" }] };
      return startPortcullis("portcullis-shout", settings, ctx);
    },
  },
  {
    id: "portcullis-body-guards",
    label: "Portcullis, body guards (validate + pii-guard)",
    workloads: ["json-1k", "json-64k"],
    unavailable: needsBuilt(BODY_GUARDS),
    start: (ctx) => {
      const settings = {
        upstreamUrl: ctx.upstreamUrl,
        plugins: {
          validate: firstParty("validate", { "json-schema": true, files: { allow: [] } }),
          "pii-guard": firstParty("pii-guard", { log: true, regex: true }),
        },
        request: [
          { plugin: "validate", with: { schema: ORDER_SCHEMA } },
          { plugin: "pii-guard", with: { detectors: { ssn: "block", card: "block", iban: "block", email: "mask", phone: "mask" } } },
        ],
      };
      return startPortcullis("portcullis-body-guards", settings, ctx);
    },
  },
];
