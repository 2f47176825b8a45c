// What the figures were measured on.
import { availableParallelism, cpus, release, totalmem, type } from "node:os";

export function describeMachine() {
  return {
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${type()} ${release()}`,
  };
}
