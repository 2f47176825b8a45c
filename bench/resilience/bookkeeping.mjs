// What the resilience code adds to each request on the no-failure path, in-process and alone:
// a balancer pick (each policy), the retry budget's in-flight count, the try's in-flight count, the outlier reset.
// Usage: node bench/resilience/bookkeeping.mjs [iterations=1000000]   (build first: npm run build)
// Compare the ns per request printed here with the gateway's CPU per request (bench/proxy: 75-100 us).
import { Balancer } from "../../host/dist/proxy/resilience/balancer.js";
import { RetryBudget } from "../../host/dist/proxy/resilience/retry-budget.js";
import { OutlierDetector, TargetHealth } from "../../host/dist/proxy/resilience/target-health.js";

const iterations = Number(process.argv[2] ?? 1_000_000);
const outlierConfig = { enabled: true, consecutiveFailures: 5, baseEjectionMs: 30_000, maxEjectionMs: 300_000, maxEjectedShare: 0.5 };

function measure(policy) {
  const targets = [1, 2, 3].map((weight) => ({ weight, priority: 0, health: new TargetHealth(), active: 0, currentWeight: 0, index: weight - 1 }));
  const balancer = new Balancer(targets, policy, undefined);
  const budget = new RetryBudget(0.2, 3);
  const outliers = new OutlierDetector(
    outlierConfig,
    targets.map((t) => t.health),
    () => undefined,
  );
  const run = (count) => {
    for (let i = 0; i < count; i++) {
      const target = balancer.pick(undefined);
      budget.enter();
      target.active++;
      outliers.success(target.index);
      target.active--;
      budget.leave(false);
    }
  };
  run(100_000); // warm-up
  const began = process.hrtime.bigint();
  run(iterations);
  return Number(process.hrtime.bigint() - began) / iterations;
}

for (const policy of ["round-robin", "least-request"]) {
  const samples = [measure(policy), measure(policy), measure(policy)].sort((a, b) => a - b);
  console.log(`  ${policy.padEnd(14)} ${samples[1].toFixed(0)} ns per request (median of 3 x ${iterations})`);
}
