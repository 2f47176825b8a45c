// The build points AssemblyScript's `abort`, `trace` and `seed` here (asc
// `--use`), so a policy never imports `env.*`, which is outside the world.
// A failed assertion or an uncaught `throw` traps; the gateway then discards
// the instance and reports the policy as trapped.

export function policyAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  unreachable();
}

export function policyTrace(message: string, n: i32, a0: f64, a1: f64, a2: f64, a3: f64, a4: f64): void {}

// Math.random is seeded once; policies that need unpredictable values use
// `Random.bytes()`, which the host serves from a secure source.
export function policySeed(): f64 {
  return 0x5eed;
}
