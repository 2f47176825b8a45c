import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { policyPath } from "../runtime/support/policies.js";
import { routesYaml, startTestGateway, singleRoute, type TestGateway } from "../support/gateway.js";
import { recordingUpstream } from "../support/recording-upstream.js";
import { deadPort, rawRequest, startUpstream, stopAll } from "../support/servers.js";
import { buildMetered, parseExposition, sampleValue, waitFor, type Sample } from "./support.js";

/**
 * Built-in metrics through a running gateway: known traffic (policies that pass, answer, trap, run past
 * their budget; an unreachable and a silent upstream; an unrouted path), then one scrape of the admin
 * listener's /metrics checked count by count, the policies' own `metrics` output included.
 */
describe("metrics on /metrics", () => {
  let gateway: TestGateway;
  let scrape: Sample[];

  beforeAll(async () => {
    const metered = await buildMetered();
    const upstream = await recordingUpstream();
    const silent = await startUpstream(() => undefined); // never answers
    const dead = await deadPort();
    gateway = await startTestGateway(`
plugins:
  tag: { path: ${policyPath("tag")} }
  respond: { path: ${policyPath("respond")} }
  misbehave: { path: ${policyPath("misbehave")} }
  looper: { path: ${policyPath("misbehave")}, limits: { timeoutMs: 100 } }
  metered: { path: ${metered}, capabilities: { metrics: true } }
runtime: { workers: 1, quarantine: { failures: 3 } }
${routesYaml(`
      - name: tagged
        match: { path: { prefix: /tagged } }
        policies: { request: [ { plugin: tag, with: { label: t } }, { plugin: metered } ] }
        backend: { url: "${upstream.url}" }
      - name: denied
        match: { path: { prefix: /denied } }
        policies: { request: [ { plugin: respond, name: deny, with: { status: 401, body: no } } ] }
        backend: { url: "${upstream.url}" }
      - name: broken
        match: { path: { prefix: /broken } }
        policies: { request: [ { plugin: misbehave } ] }
        backend: { echo: true }
      - name: loop
        match: { path: { prefix: /loop } }
        policies: { request: [ { plugin: looper } ] }
        backend: { echo: true }
      - name: dead
        match: { path: { prefix: /dead } }
        backend: { url: "http://127.0.0.1:${dead}" }
      - name: silent
        match: { path: { prefix: /silent } }
        backend: { url: "${silent.url}", timeouts: { headersMs: 100 } }
`)}`);
    const send = (method: string, path: string, headers: Record<string, string> = {}) => rawRequest(gateway.url(path), { method, headers });
    const statuses: number[] = [];
    for (const method of ["GET", "GET", "GET", "POST", "POST", "PROPFIND"]) statuses.push((await send(method, "/tagged")).status);
    for (let i = 0; i < 2; i++) statuses.push((await send("GET", "/denied")).status);
    for (let i = 0; i < 4; i++) statuses.push((await send("GET", "/broken", { "x-misbehave": "trap" })).status);
    statuses.push((await send("GET", "/loop", { "x-misbehave": "loop" })).status);
    statuses.push((await send("POST", "/dead")).status); // POST: never retried, so one attempt
    statuses.push((await send("POST", "/silent")).status);
    statuses.push((await send("GET", "/nowhere")).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 401, 401, 500, 500, 500, 503, 503, 502, 504, 404]);
    // A request is counted when its response closes, and the looping worker is replaced in the background.
    scrape = await waitFor(scrapeOnce, (s) => sampleValue(s, "portcullis_pool_worker_replacements_total") === 1 && sum(s, "portcullis_requests_total") === 16);
  }, 60_000);

  afterAll(stopAll);

  async function scrapeOnce(): Promise<Sample[]> {
    const response = await rawRequest(`${gateway.admin!.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseExposition(response.body.toString("utf8"));
  }

  const requests = (route: string, method: string, statusClass: string) =>
    sampleValue(scrape, "portcullis_requests_total", { listener: "main", route, method, status_class: statusClass });

  it("counts requests by listener, route, method class and status class", () => {
    expect(requests("tagged", "GET", "2xx")).toBe(3);
    expect(requests("tagged", "POST", "2xx")).toBe(2);
    expect(requests("tagged", "other", "2xx")).toBe(1); // PROPFIND
    expect(requests("denied", "GET", "4xx")).toBe(2);
    expect(requests("broken", "GET", "5xx")).toBe(4);
    expect(requests("loop", "GET", "5xx")).toBe(1);
    expect(requests("dead", "POST", "5xx")).toBe(1);
    expect(requests("silent", "POST", "5xx")).toBe(1);
    expect(requests("", "GET", "4xx")).toBe(1); // matched no route
  });

  it("has latency histograms for whole requests and for the upstream", () => {
    const labels = { listener: "main", route: "tagged" };
    expect(sampleValue(scrape, "portcullis_request_duration_seconds_count", labels)).toBe(6);
    expect(sampleValue(scrape, "portcullis_request_duration_seconds_bucket", { ...labels, le: "+Inf" })).toBe(6);
    expect(sampleValue(scrape, "portcullis_request_duration_seconds_sum", labels)).toBeGreaterThan(0);
    expect(sampleValue(scrape, "portcullis_upstream_duration_seconds_count", labels)).toBe(6);
    expect(sampleValue(scrape, "portcullis_upstream_duration_seconds_count", { route: "dead" })).toBe(1);
    // No upstream behind a policy's answer or the echo backend.
    expect(sampleValue(scrape, "portcullis_upstream_duration_seconds_count", { route: "denied" })).toBeUndefined();
    expect(sampleValue(scrape, "portcullis_request_duration_seconds_count", { route: "denied" })).toBe(2);
  });

  it("counts policy calls, failures by code and time spent", () => {
    expect(sampleValue(scrape, "portcullis_policy_calls_total", { policy: "tag" })).toBe(6);
    expect(sampleValue(scrape, "portcullis_policy_calls_total", { policy: "metered" })).toBe(6);
    expect(sampleValue(scrape, "portcullis_policy_calls_total", { policy: "deny" })).toBe(2);
    // Three traps, then the fourth request meets the quarantine the third started (not a call).
    expect(sampleValue(scrape, "portcullis_policy_calls_total", { policy: "misbehave" })).toBe(3);
    expect(sampleValue(scrape, "portcullis_policy_failures_total", { policy: "misbehave", code: "PCS_ERR_POLICY_TRAPPED" })).toBe(3);
    expect(sampleValue(scrape, "portcullis_policy_failures_total", { policy: "misbehave", code: "PCS_ERR_POLICY_QUARANTINED" })).toBe(1);
    expect(sampleValue(scrape, "portcullis_policy_failures_total", { policy: "looper", code: "PCS_ERR_POLICY_TIMEOUT" })).toBe(1);
    expect(sampleValue(scrape, "portcullis_policy_failures_total", { policy: "deny" })).toBeUndefined();
    expect(sampleValue(scrape, "portcullis_policy_seconds_total", { policy: "tag" })).toBeGreaterThan(0);
  });

  it("reports the pool: queue, busy workers, replacements, quarantines", () => {
    expect(sampleValue(scrape, "portcullis_pool_queue_depth")).toBe(0);
    expect(sampleValue(scrape, "portcullis_pool_busy_workers")).toBe(0);
    expect(sampleValue(scrape, "portcullis_pool_worker_replacements_total")).toBe(1);
    expect(sampleValue(scrape, "portcullis_policy_quarantines_total", { plugin: "misbehave", scope: "client" })).toBe(1);
  });

  it("counts upstream connection errors and timeouts", () => {
    expect(sampleValue(scrape, "portcullis_upstream_errors_total", { route: "dead", kind: "connect" })).toBe(1);
    expect(sampleValue(scrape, "portcullis_upstream_errors_total", { route: "silent", kind: "timeout" })).toBe(1);
    expect(sampleValue(scrape, "portcullis_upstream_errors_total", { route: "tagged" })).toBeUndefined();
  });

  it("merges in what policies emit through the metrics capability", () => {
    expect(sampleValue(scrape, "metered_requests_total", { method: "GET", policy: "metered" })).toBe(3);
    expect(sampleValue(scrape, "metered_requests_total", { method: "POST", policy: "metered" })).toBe(2);
    expect(sampleValue(scrape, "metered_requests_total", { method: "PROPFIND", policy: "metered" })).toBe(1);
  });

  it("keeps each gateway's series apart when two run in one process", async () => {
    const other = await startTestGateway(singleRoute("{ echo: true }", { route: "other" }));
    expect((await rawRequest(other.url("/x"))).status).toBe(200);
    await expect
      .poll(async () =>
        sampleValue(parseExposition((await rawRequest(`${other.admin!.url}/metrics`)).body.toString()), "portcullis_requests_total", { route: "other" }),
      )
      .toBe(1);
    const mine = await scrapeOnce();
    expect(sampleValue(mine, "portcullis_requests_total", { route: "other" })).toBeUndefined();
    expect(sum(mine, "portcullis_requests_total")).toBe(16);
  });
});

function sum(samples: Sample[], name: string): number {
  return samples.filter((s) => s.name === name).reduce((total, s) => total + s.value, 0);
}
