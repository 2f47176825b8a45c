// The build points AssemblyScript's `abort`, `trace` and `seed` here (asc
// `--use`), so a policy never imports `env.*`, which is outside the world.
// A failed assertion or an uncaught `throw` traps; the gateway then discards
// the instance and reports the policy as trapped.

// Where abort() leaves what it was told, for the host to read after the trap
// (src/component/trap-record.ts): below the build's --memoryBase, which no data
// or heap object ever occupies. Layout: magic, message, file, line, column (u32 each).
const TRAP_RECORD: usize = 16;
const TRAP_MAGIC: u32 = 0x50435452; // "PCTR"

export function policyAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  store<u32>(TRAP_RECORD, changetype<usize>(message), 4);
  store<u32>(TRAP_RECORD, changetype<usize>(fileName), 8);
  store<u32>(TRAP_RECORD, line, 12);
  store<u32>(TRAP_RECORD, column, 16);
  store<u32>(TRAP_RECORD, TRAP_MAGIC);
  unreachable();
}

export function policyTrace(message: string, n: i32, a0: f64, a1: f64, a2: f64, a3: f64, a4: f64): void {}

// Math.random is seeded once; policies that need unpredictable values use
// `Random.bytes()`, which the host serves from a secure source.
export function policySeed(): f64 {
  return 0x5eed;
}
