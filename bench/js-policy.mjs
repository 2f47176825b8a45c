// What a JavaScript policy costs next to the same policy in AssemblyScript (plugins-js/header-stamp and its
// as-twin): component size, cold load (preparing the component, compiling its core module, the first instance
// with init) and CPU per on-request call, through the SDK's loading adapter, the code the gateway's workers run.
// Per-call figures: ROUNDS rounds of SECONDS each per policy, in alternating order; the median is reported.
// Run after `npm run build` and `npm run build:js-policy`: node bench/js-policy.mjs  (ROUNDS=3 SECONDS=1 by default)
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildJsPolicy } from "../plugins-js/build.mjs";
import { buildPolicy } from "../sdk/dist/build/build-policy.js";
import { compileCoreModule, instantiatePolicy, preparePolicyComponent } from "../sdk/dist/component/index.js";
import { Fakes } from "../sdk/dist/testing/fakes.js";

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SECONDS = Number(process.env.SECONDS ?? 1);
const project = fileURLToPath(new URL("../plugins-js/header-stamp/", import.meta.url));
const policies = {
  javascript: (await buildJsPolicy(project)).wasmPath,
  assemblyscript: (await buildPolicy(`${project}as-twin`)).wasmPath,
};
const config = JSON.stringify({ header: "x-tenant", remove: ["x-debug"] });
const request = {
  head: {
    method: "GET",
    scheme: "http",
    authority: "api.example",
    path: "/orders/42",
    query: "",
    headers: [
      { name: "x-tenant", value: "acme%20corp" },
      { name: "x-debug", value: "1" },
      { name: "accept", value: "application/json" },
      { name: "user-agent", value: "bench" },
    ],
    clientAddress: "127.0.0.1",
    requestId: "bench",
    listener: "main",
    route: "orders",
  },
  body: undefined,
  metadata: [],
};

const cpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

const loaded = {};
const figures = {};
for (const [language, path] of Object.entries(policies)) {
  const bytes = readFileSync(path);
  let t = performance.now();
  const info = await preparePolicyComponent(bytes);
  const prepareMs = performance.now() - t;
  t = performance.now();
  const module = await compileCoreModule(info.coreModule);
  const compileMs = performance.now() - t;
  t = performance.now();
  const instance = instantiatePolicy(module, new Fakes().capabilities());
  const init = instance.init(config);
  const instantiateMs = performance.now() - t;
  if (init.tag !== "ok") throw new Error(`${language}: init refused the configuration: ${JSON.stringify(init.val)}`);
  const check = instance.onRequest(request);
  if (check.val?.tag !== "continue" || check.val.val.headers.length !== 3) throw new Error(`${language}: unexpected decision ${JSON.stringify(check)}`);
  loaded[language] = instance;
  figures[language] = {
    componentKiB: Math.round(bytes.length / 1024),
    prepareMs: Math.round(prepareMs),
    compileMs: Math.round(compileMs),
    instantiateAndInitMs: Math.round(instantiateMs * 10) / 10,
    memoryMiB: Math.round((instance.memoryBytes() / 2 ** 20) * 10) / 10,
    cpuMicrosPerCall: [],
  };
}

for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? ["assemblyscript", "javascript"] : ["javascript", "assemblyscript"];
  for (const language of order) {
    const instance = loaded[language];
    for (let i = 0; i < 50; i++) instance.onRequest(request); // warm
    const end = performance.now() + SECONDS * 1000;
    const cpu = cpuMs();
    let calls = 0;
    while (performance.now() < end) {
      instance.onRequest(request);
      calls++;
    }
    figures[language].cpuMicrosPerCall.push(((cpuMs() - cpu) * 1000) / calls);
  }
}

const median = (values) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)];
for (const f of Object.values(figures)) f.cpuMicrosPerCall = Math.round(median(f.cpuMicrosPerCall) * 10) / 10;
console.log(JSON.stringify({ rounds: ROUNDS, secondsPerRound: SECONDS, figures }, null, 2));
