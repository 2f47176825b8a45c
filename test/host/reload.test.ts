import { writeFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { dirname, join } from "node:path";
import { connect } from "node:tls";
import { generate } from "selfsigned";
import { Pool } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { loaderStats } from "../../host/src/runtime/plugin-loader.js";
import { BAD_AND_OK_ROUTES, plugin, policyPath } from "../runtime/support/policies.js";
import { routesYaml, singleRoute, startTestGateway } from "../support/gateway.js";
import { tempFile } from "../support/cli.js";
import { deadPort, rawRequest, startUpstream, stopAll, track } from "../support/servers.js";
import { startFileGateway, until } from "./reload-helpers.js";

afterEach(stopAll);

/** count (shared counter, passed upstream) then tag (label on request and response) in front of `upstream`. */
function policyConfig(label: string, upstream: string, extra = ""): string {
  return `${routesYaml(`
      - name: up
        policies: { request: [ { plugin: count }, { plugin: tag, with: { label: ${label} } } ], response: [ { plugin: tag, with: { label: ${label} } } ] }
        backend: { url: "${upstream}" }`)}
plugins:
  count: { path: ${policyPath("count")}, capabilities: { counters: true } }
  tag: { path: ${policyPath("tag")} }
runtime: { workers: 1 }
admin: { host: 127.0.0.1, port: 0 }
reload: { watch: false }
${extra}`;
}

/** Answers with the labels and count the policies passed; /slow waits until released. */
async function labelEcho() {
  const held: Array<() => void> = [];
  const upstream = await startUpstream((req, res: ServerResponse) => {
    const answer = () => res.end(JSON.stringify({ order: req.headers["x-order"], count: Number(req.headers["x-count"]) }));
    if (req.url === "/slow") held.push(answer);
    else answer();
  });
  return { url: upstream.url, held };
}

async function get(url: string) {
  const res = await rawRequest(url);
  return { status: res.status, response: res.headers["x-response-order"], ...res.json<{ order: string; count: number }>() };
}

describe("hot reload", () => {
  it("a request started on the old configuration finishes on it; counters and compiled plugins survive a policy change", async () => {
    const upstream = await labelEcho();
    const { gateway, write } = await startFileGateway(policyConfig("A", upstream.url));
    const url = (path: string) => `${gateway.listeners[0]!.url}${path}`;
    expect(await get(url("/fast"))).toMatchObject({ status: 200, order: "A", response: "A", count: 1 });

    const slow = get(url("/slow"));
    await until(() => upstream.held.length === 1, 5_000, "the slow request upstream");
    const compilations = loaderStats.compilations;
    write(policyConfig("B", upstream.url));
    const outcome = await gateway.reload();
    expect(outcome).toMatchObject({ result: "applied", generation: 2, changes: { plugins: { reused: 2, loaded: 0 }, listeners: { kept: ["main"] } } });
    expect(loaderStats.compilations).toBe(compilations);

    // New requests see B; the shared counter went on (the slow request took 2).
    expect(await get(url("/fast"))).toMatchObject({ status: 200, order: "B", response: "B", count: 3 });
    // The slow request's response flow runs now, after the cutover, on the configuration it started on.
    upstream.held[0]!();
    expect(await slow).toMatchObject({ status: 200, order: "A", response: "A", count: 2 });

    // Another store is another state: a reload that changes `stores` starts counting again.
    write(policyConfig("B", upstream.url, "stores: { counterSlots: 2048 }\n"));
    expect((await gateway.reload()).result).toBe("applied");
    expect(await get(url("/fast"))).toMatchObject({ order: "B", count: 1 });
  });

  it("a file watched: an editor's burst of writes makes one reload, and rewriting the same text makes none", async () => {
    const yaml = (body: string) => `${singleRoute(`{ directResponse: { status: 200, body: "${body}" } }`)}admin: { host: 127.0.0.1, port: 0 }\n`;
    const { gateway, admin, write } = await startFileGateway(yaml("first"));
    const url = `${gateway.listeners[0]!.url}/`;
    // Truncate-then-write, several times within a few milliseconds, as editors and `cp` do.
    for (const body of ["", "second-draft", "", "second"]) write(body && yaml(body));
    await until(async () => (await rawRequest(url)).body.toString() === "second", 5_000, "the reload");
    await new Promise((r) => setTimeout(r, 400)); // longer than the debounce: any further reload would show now
    const status = (await rawRequest(`${admin}/reload`)).json<Record<string, any>>();
    expect(status).toMatchObject({ watching: true, generation: 2, applied: 1, refused: 0, last: { trigger: "file" } });
    write(yaml("second"));
    await new Promise((r) => setTimeout(r, 400));
    expect((await rawRequest(`${admin}/reload`)).json()).toMatchObject({ generation: 2, applied: 1 });
  });

  it("POST /reload opens added listeners, drains removed ones and keeps the unchanged one's keep-alive connection", async () => {
    const upstream = await labelEcho();
    const listener = (name: string, body: string) =>
      `  - name: ${name}\n    host: 127.0.0.1\n    port: 0\n    routes:\n      - name: all\n        backend: { directResponse: { status: 200, body: "${body}" } }\n`;
    const extraListener = `  - name: extra\n    host: 127.0.0.1\n    port: 0\n    routes:\n      - name: all\n        backend: { url: "${upstream.url}" }\n`;
    const config = (...listeners: string[]) => `listeners:\n${listeners.join("")}admin: { host: 127.0.0.1, port: 0 }\nreload: { watch: false }\n`;
    const { gateway, admin, write } = await startFileGateway(config(listener("main", "main-1"), extraListener));
    const extra = gateway.listeners.find((l) => l.name === "extra")!;
    const main = new Pool(gateway.listeners[0]!.url, { connections: 1, keepAliveTimeout: 30_000 });
    track(() => main.close());
    let connects = 0;
    main.on("connect", () => connects++);
    const body = async () => (await main.request({ path: "/", method: "GET" })).body.text();
    expect(await body()).toBe("main-1");
    // A request in flight on the listener about to be removed.
    const inFlight = rawRequest(`${extra.url}/slow`);
    await until(() => upstream.held.length === 1, 5_000, "the request on extra upstream");

    write(config(listener("main", "main-2"), listener("third", "third")));
    const answer = await rawRequest(`${admin}/reload`, { method: "POST" });
    expect(answer.status).toBe(200);
    expect(answer.json()).toMatchObject({
      result: "applied",
      trigger: "admin",
      changes: { listeners: { kept: ["main"], added: ["third"], removed: ["extra"] } },
    });

    expect(await body()).toBe("main-2");
    expect(connects).toBe(1);
    const third = gateway.listeners.find((l) => l.name === "third")!;
    expect((await rawRequest(`${third.url}/`)).body.toString()).toBe("third");
    expect(gateway.listeners.map((l) => l.name)).toEqual(["main", "third"]);
    await expect(rawRequest(`${extra.url}/`)).rejects.toThrow(/ECONNREFUSED/);
    // ... finishes: removing a listener drains it.
    upstream.held[0]!();
    expect((await inFlight).status).toBe(200);
    const config_ = (await rawRequest(`${admin}/config`)).json<{ listeners: Array<{ name: string }> }>();
    expect(config_.listeners.map((l) => l.name)).toEqual(["main", "third"]);
  });

  it("a refused reload names the file's line on the admin API and in the log, and the running configuration keeps serving", async () => {
    const upstream = await labelEcho();
    const { gateway, file, logs, admin, write } = await startFileGateway(policyConfig("A", upstream.url));
    const url = `${gateway.listeners[0]!.url}/x`;

    // A typo in the schema: line 9 is the backend.
    write(policyConfig("B", upstream.url).replace("backend: {", "backend: { retry: 2,"));
    const typo = await rawRequest(`${admin}/reload`, { method: "POST" });
    expect(typo.status).toBe(422);
    expect(typo.json()).toMatchObject({
      result: "refused",
      code: "PCS_ERR_CONFIG_INVALID",
      generation: 1,
      issues: [{ file, line: 9, path: ["listeners", 0, "routes", 0, "backend", "retry"] }],
    });

    // A plugin that would load without a grant it needs: refused at load, pointing at its entry (line 11).
    write(policyConfig("B", upstream.url).replace(", capabilities: { counters: true }", ""));
    const denied = await rawRequest(`${admin}/reload`, { method: "POST" });
    expect(denied.json()).toMatchObject({ code: "PCS_ERR_PLUGIN_CAPABILITY_DENIED", issues: [{ file, line: 11, path: ["plugins", "count"] }] });

    const status = (await rawRequest(`${admin}/reload`)).json<Record<string, any>>();
    expect(status).toMatchObject({ file, generation: 1, applied: 0, refused: 2, lastRefused: { code: "PCS_ERR_PLUGIN_CAPABILITY_DENIED" } });
    const logged = logs.filter((l) => String(l.msg).startsWith("configuration reload refused"));
    expect(logged.map((l) => l.code)).toEqual(["PCS_ERR_CONFIG_INVALID", "PCS_ERR_PLUGIN_CAPABILITY_DENIED"]);
    expect(String(logged[0]!.msg)).toContain(`${file}:9:`);
    expect(await get(url)).toMatchObject({ status: 200, order: "A", response: "A" });
    expect(gateway.generation).toBe(1);
  });

  it("a reload installs a TLS listener's renewed certificate on the same server", async () => {
    const folder = dirname(await writeCertificates("first"));
    const yaml =
      "listeners:\n  - { name: secure, host: 127.0.0.1, port: 0, tls: { cert: cert.pem, key: key.pem }, routes: [] }\nadmin: { port: 0 }\nreload: { watch: false }\n";
    const { gateway, admin } = await startFileGateway(yaml, folder);
    const port = gateway.listeners[0]!.port;
    expect(await certificateName(port)).toBe("first");
    await writeCertificates("second", folder);
    const answer = await rawRequest(`${admin}/reload`, { method: "POST" });
    expect(answer.json()).toMatchObject({ result: "applied", changes: { listeners: { kept: ["secure"], added: [] } } });
    expect(gateway.listeners[0]!.port).toBe(port);
    expect(await certificateName(port)).toBe("second");
  });

  it("a reload that moves the admin listener answers on the old address, then serves on the new one only", async () => {
    const yaml = (admin: string) => `listeners:\n  - { name: main, host: 127.0.0.1, port: 0, routes: [] }\nadmin: ${admin}\nreload: { watch: false }\n`;
    const { gateway, admin, write } = await startFileGateway(yaml("{ host: 127.0.0.1, port: 0 }"));
    const port = await deadPort();
    write(yaml(`{ host: 127.0.0.1, port: ${port} }`));
    const answer = await rawRequest(`${admin}/reload`, { method: "POST" });
    expect(answer.json()).toMatchObject({ result: "applied", changes: { needRestart: [] } });
    expect(gateway.admin!.port).toBe(port);
    expect((await rawRequest(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    await until(
      () =>
        rawRequest(`${admin}/healthz`).then(
          () => false,
          () => true,
        ),
      5_000,
      "the old admin address to close",
    );
  });

  it.each(["direct", "piscina"])(
    "a policy-changing reload takes the standby workers (%s channel); a worker replacing one of them later gets the configuration",
    async (channel) => {
      // A change of misbehave's budget is a policy change: the next runtime takes the standby workers.
      const yaml = (timeoutMs: number) => `${BAD_AND_OK_ROUTES}
plugins:
${plugin("misbehave", `    limits: { timeoutMs: ${timeoutMs} }\n`)}
${plugin("tag")}
runtime: { workers: 1, channel: ${channel} }
admin: { host: 127.0.0.1, port: 0 }
reload: { watch: false }
`;
      const { gateway, file, admin } = await startFileGateway(yaml(300));
      const standby = async () => (await rawRequest(`${admin}/reload`)).json<{ standbyWorkers: string }>().standbyWorkers;
      const url = (path: string) => `${gateway.listeners[0]!.url}${path}`;
      const label = async () => (await rawRequest(url("/ok"))).json<{ headers: Record<string, string> }>().headers["x-order"];
      expect(await label()).toBe("healthy");
      await until(async () => (await standby()) === "ready", 15_000, "the standby workers");
      writeFileSync(file, yaml(400));
      const outcome = (await rawRequest(`${admin}/reload`, { method: "POST" })).json<{ result: string; phases: Record<string, number> }>();
      expect(outcome).toMatchObject({ result: "applied", phases: { standbyWorkers: expect.any(Number), cutover: expect.any(Number) } });
      // Taken: the next spare starts only after the reload.
      expect(await standby()).not.toBe("ready");
      expect(await label()).toBe("healthy");
      expect(gateway.generation).toBe(2);
      // An infinite loop past its budget: the worker is terminated and another starts (piscina's asks for the standby's setup).
      const looping = await rawRequest(url("/bad"), { headers: { "x-misbehave": "loop" } });
      expect(looping.json()).toMatchObject({ code: "PCS_ERR_POLICY_TIMEOUT" });
      for (let i = 0; i < 3; i++) expect(await label()).toBe("healthy");
      await until(async () => (await standby()) === "ready", 15_000, "the next standby workers");
    },
    60_000,
  );

  it("a gateway started from a configuration object has nothing to reload", async () => {
    const gateway = await startTestGateway(singleRoute("{ echo: true }"));
    expect(await gateway.reload()).toMatchObject({ result: "refused", code: "PCS_ERR_RELOAD_UNAVAILABLE", generation: 1 });
    const answer = await rawRequest(`http://127.0.0.1:${gateway.admin!.port}/reload`, { method: "POST" });
    expect(answer.status).toBe(409);
  });
});

/** Writes cert.pem and key.pem for `name` (a new temporary folder unless `folder`); returns the cert's path. */
async function writeCertificates(name: string, folder?: string): Promise<string> {
  const pems = await generate([{ name: "commonName", value: name }], { keySize: 2048, algorithm: "sha256" });
  const cert = folder ? join(folder, "cert.pem") : tempFile("cert.pem", pems.cert);
  writeFileSync(cert, pems.cert);
  writeFileSync(join(dirname(cert), "key.pem"), pems.private);
  return cert;
}

/** The common name of the certificate a TLS listener presents to a new connection. */
function certificateName(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      resolve(String(socket.getPeerCertificate().subject.CN));
      socket.destroy();
    });
    socket.on("error", reject);
  });
}
