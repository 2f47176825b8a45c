// Runs every case once per round, in a rotating order (no case always first, on a cold machine, or
// last), and gives each case's figures as medians over the rounds.

/** `run(path)` -> a sample of numbers; resolves to { path: [sample per round] }. */
export async function rotatingRounds(cases, rounds, run) {
  const samples = Object.fromEntries(cases.map((path) => [path, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < cases.length; i++) {
      const path = cases[(i + round) % cases.length];
      samples[path].push(await run(path));
    }
  }
  return samples;
}

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Per case (named without its leading "/"): rps, p50ms, p99ms medians and errors summed, plus `extra(samples)`. */
export function roundFigures(samples, extra = () => ({})) {
  return Object.fromEntries(
    Object.entries(samples).map(([path, runs]) => [
      path.slice(1),
      {
        rps: Math.round(median(runs.map((s) => s.rps))),
        p50ms: +median(runs.map((s) => s.p50)).toFixed(2),
        p99ms: +median(runs.map((s) => s.p99)).toFixed(2),
        ...extra(runs),
        errors: runs.reduce((sum, s) => sum + s.errors, 0),
      },
    ]),
  );
}
