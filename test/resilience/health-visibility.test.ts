import { writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway, type TestGateway } from "../support/gateway.js";
import { rawRequest, stopAll } from "../support/servers.js";
import { startFileGateway } from "../host/reload-helpers.js";
import { load, route, startFleetmate } from "./support.js";

afterEach(stopAll);

interface TargetReport {
  url: string;
  healthy: boolean;
  state: string;
  since: string;
  consecutiveFailures: number;
  ejections: number;
  ejectedUntil: string | null;
}
interface BackendReport {
  listener: string;
  route: string;
  role: string;
  name: string | null;
  activeChecks: boolean;
  targets: TargetReport[];
}

const backendsOf = async (gateway: TestGateway) => (await rawRequest(`${gateway.admin!.url}/backends`)).json<{ backends: BackendReport[] }>().backends;
const metricsOf = async (gateway: TestGateway) => (await rawRequest(`${gateway.admin!.url}/metrics`)).body.toString("utf8");
/** The value of one sample of the Prometheus text, or undefined. */
const sample = (text: string, name: string, target: string): number | undefined => {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(`target="${target}"`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
};

describe("backend health on the admin listener", () => {
  it("GET /backends and the metrics show a target that died ejected, since when, with its failures; the others healthy", async () => {
    const [a, b, c] = await Promise.all([startFleetmate("a"), startFleetmate("b"), startFleetmate("c")]);
    const gateway = await startTestGateway(
      route(`targets: [{ url: "${a.url}" }, { url: "${b.url}" }, { url: "${c.url}" }]\noutlierDetection: { consecutiveFailures: 2, baseEjectionMs: 30000 }`),
    );
    const before = await backendsOf(gateway);
    expect(before).toEqual([
      expect.objectContaining({ listener: "main", route: "up", role: "backend", name: null, activeChecks: false, inFlight: { requests: 0, retries: 0 } }),
    ]);
    for (const target of before[0]!.targets)
      expect(target).toMatchObject({ healthy: true, state: "healthy", consecutiveFailures: 0, ejections: 0, ejectedUntil: null });
    expect(before[0]!.targets.map((t) => t.url)).toEqual([a.url, b.url, c.url]);
    const metricsBefore = await metricsOf(gateway);
    expect(sample(metricsBefore, "portcullis_backend_target_healthy", b.url)).toBe(1);
    expect(sample(metricsBefore, "portcullis_backend_ejections_total", b.url)).toBe(0);

    await b.kill();
    const killedAt = Date.now();
    // Connect failures are retried on another target, so every request is answered while b fails twice.
    const answers = await load(gateway.url("/"), 12, 1);
    expect(answers.every((r) => r.status === 200 && r.body !== "b")).toBe(true);
    const after = (await backendsOf(gateway))[0]!.targets;
    const dead = after.find((t) => t.url === b.url)!;
    expect(dead).toMatchObject({ healthy: false, state: "ejected", ejections: 1, consecutiveFailures: 0 });
    expect(Date.parse(dead.since)).toBeGreaterThanOrEqual(killedAt - 5);
    expect(Date.parse(dead.ejectedUntil!) - Date.parse(dead.since)).toBe(30_000);
    for (const alive of after.filter((t) => t.url !== b.url)) expect(alive).toMatchObject({ healthy: true, state: "healthy", ejections: 0 });

    const metrics = await metricsOf(gateway);
    expect(sample(metrics, "portcullis_backend_target_healthy", b.url)).toBe(0);
    expect(sample(metrics, "portcullis_backend_target_healthy", a.url)).toBe(1);
    expect(sample(metrics, "portcullis_backend_ejections_total", b.url)).toBe(1);
    expect(sample(metrics, "portcullis_backend_ejections_total", c.url)).toBe(0);
    // A second scrape counts nothing twice.
    expect(sample(await metricsOf(gateway), "portcullis_backend_ejections_total", b.url)).toBe(1);
  });

  it("a target failing its active checks is unhealthy (not ejected), then healthy again; fallback and mirror backends are listed", async () => {
    const [a, spare, shadow] = await Promise.all([startFleetmate("a"), startFleetmate("spare"), startFleetmate("shadow")]);
    const gateway = await startTestGateway(
      routesYaml(`
      - name: up
        backend:
          name: main-pool
          url: "${a.url}"
          healthCheck: { path: /health, intervalMs: 50, timeoutMs: 200, healthyThreshold: 2, unhealthyThreshold: 2 }
          fallback: { backend: { url: "${spare.url}" } }
          mirror: { backend: { url: "${shadow.url}" }, share: 1 }`),
    );
    const report = await backendsOf(gateway);
    expect(report.map((r) => [r.role, r.name, r.activeChecks, r.targets[0]!.url])).toEqual([
      ["backend", "main-pool", true, a.url],
      ["fallback", null, false, spare.url],
      ["mirror", null, false, shadow.url],
    ]);
    const stateOfA = async () => (await backendsOf(gateway))[0]!.targets[0]!;
    a.healthStatus = 503;
    const failedAt = Date.now();
    expect(await waitFor(async () => (await stateOfA()).state === "unhealthy", 3_000)).toBe(true);
    const down = await stateOfA();
    expect(down).toMatchObject({ healthy: false, ejections: 0, ejectedUntil: null });
    expect(Date.parse(down.since)).toBeGreaterThanOrEqual(failedAt - 5);
    expect(sample(await metricsOf(gateway), "portcullis_backend_target_healthy", a.url)).toBe(0);
    a.healthStatus = 200;
    expect(await waitFor(async () => (await stateOfA()).healthy, 3_000)).toBe(true);
    expect(Date.parse((await stateOfA()).since)).toBeGreaterThan(Date.parse(down.since));
    expect(sample(await metricsOf(gateway), "portcullis_backend_target_healthy", a.url)).toBe(1);
  });
});

describe("backend health across a reload", () => {
  it("GET /backends and the gauges follow the configuration in force: a removed target disappears, an added one appears healthy", async () => {
    const [a, b] = await Promise.all([startFleetmate("a"), startFleetmate("b")]);
    const yaml = (url: string) => `${route(`url: "${url}"`)}\nadmin: { host: 127.0.0.1, port: 0 }\nreload: { watch: false }\n`;
    const { gateway, file, admin } = await startFileGateway(yaml(a.url));
    const scrape = async () => (await rawRequest(`${admin}/metrics`)).body.toString("utf8");
    expect(sample(await scrape(), "portcullis_backend_target_healthy", a.url)).toBe(1);
    writeFileSync(file, yaml(b.url));
    expect((await gateway.reload()).result).toBe("applied");
    const report = (await rawRequest(`${admin}/backends`)).json<{ backends: BackendReport[] }>().backends;
    expect(report.flatMap((r) => r.targets.map((t) => [t.url, t.state]))).toEqual([[b.url, "healthy"]]);
    const metrics = await scrape();
    expect(sample(metrics, "portcullis_backend_target_healthy", b.url)).toBe(1);
    expect(sample(metrics, "portcullis_backend_target_healthy", a.url)).toBeUndefined();
  });
});

/** Polls an asynchronous condition every 20 ms for up to `withinMs`. */
async function waitFor(condition: () => Promise<boolean>, withinMs: number): Promise<boolean> {
  const end = Date.now() + withinMs;
  while (Date.now() < end) {
    if (await condition()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return condition();
}
