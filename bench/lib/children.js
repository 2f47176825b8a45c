// Every process the bench starts goes through here, so that all of them are stopped at the end,
// on Ctrl-C, on SIGTERM and on an uncaught error, and so that a server that fails to start is
// reported with the tail of its own output.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const running = new Set();
let interrupted = false;
const STOP_GRACE_MS = 3_000;

/**
 * Starts `command args` with stdout and stderr written to `<logDir>/<name>.out|.err` (never piped
 * to this process, which would then spend CPU beside the system being measured).
 */
export function startProcess(name, command, args, { logDir, env } = {}) {
  const outPath = join(logDir, `${name}.out`);
  const errPath = join(logDir, `${name}.err`);
  const out = openSync(outPath, "w");
  const err = openSync(errPath, "w");
  const child = spawn(command, args, { stdio: ["ignore", out, err], env: { ...process.env, ...env } });
  closeSync(out);
  closeSync(err);
  const exited = once(child, "exit").then(([code, signal]) => ({ code, signal }));
  const handle = { name, child, pid: child.pid, outPath, errPath, exited, exitInfo: undefined };
  exited.then((info) => {
    handle.exitInfo = info;
    running.delete(handle);
  });
  child.on("error", () => {}); // a missing binary surfaces as an exit with code -2 via `exited`
  running.add(handle);
  return handle;
}

/** Runs a command to completion (bounded by `timeoutMs`) and resolves to its exit and output. */
export async function runToEnd(name, command, args, { logDir, env, timeoutMs }) {
  const handle = startProcess(name, command, args, { logDir, env });
  const timer = setTimeout(() => stopProcess(handle), timeoutMs);
  const info = await handle.exited;
  clearTimeout(timer);
  return { ...info, stdout: readFileSync(handle.outPath, "utf8"), stderr: readFileSync(handle.errPath, "utf8") };
}

/** The last lines a process wrote to stderr (or stdout), to explain a failure. */
export function outputTail(handle, lines = 12) {
  const text = readFileSync(handle.errPath, "utf8").trim() || readFileSync(handle.outPath, "utf8").trim();
  return text.split("\n").slice(-lines).join("\n");
}

/** Waits until `pattern` appears in the process's stdout; returns the match. Fails if it exits first. */
export async function waitForOutput(handle, pattern, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = pattern.exec(readFileSync(handle.outPath, "utf8"));
    if (match) return match;
    if (handle.exitInfo) throw new Error(`${handle.name} exited (${describeExit(handle.exitInfo)}):\n${outputTail(handle)}`);
    await sleep(20);
  }
  throw new Error(`${handle.name} did not announce itself within ${timeoutMs} ms:\n${outputTail(handle)}`);
}

/** Polls `url` until it answers (any status); fails when the process exits or time runs out. */
export async function waitForHttp(handle, url, timeoutMs = 30_000, intervalMs = 20) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (handle.exitInfo) throw new Error(`${handle.name} exited (${describeExit(handle.exitInfo)}):\n${outputTail(handle)}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      return response.status;
    } catch {
      await sleep(intervalMs);
    }
  }
  throw new Error(`${handle.name} did not answer ${url} within ${timeoutMs} ms:\n${outputTail(handle)}`);
}

/** An error as one line for a report: its first lines, trimmed, with the run's directory left out. */
export function failureText(error, runDir, maxLines = 6) {
  const lines = String(error?.message ?? error)
    .replaceAll(`${runDir}/`, "")
    .split("\n");
  return lines
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(0, maxLines)
    .join(" / ");
}

function describeExit({ code, signal }) {
  return signal ? `signal ${signal}` : `code ${code}`;
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
export async function stopProcess(handle) {
  if (handle.exitInfo) return;
  handle.child.kill("SIGTERM");
  const timer = setTimeout(() => handle.child.kill("SIGKILL"), STOP_GRACE_MS);
  await handle.exited;
  clearTimeout(timer);
}

export function stopAll() {
  return Promise.all([...running].map(stopProcess));
}

/** True once Ctrl-C or SIGTERM arrived: the errors of the children being stopped are expected then. */
export function wasInterrupted() {
  return interrupted;
}

/** Stops every child on Ctrl-C, SIGTERM and uncaught errors, then exits. */
export function stopChildrenOnExit() {
  const bail = (status) => {
    interrupted = true;
    stopAll().finally(() => process.exit(status));
  };
  process.once("SIGINT", () => bail(130));
  process.once("SIGTERM", () => bail(143));
  process.on("uncaughtException", (error) => {
    console.error(error);
    bail(1);
  });
  process.on("unhandledRejection", (error) => {
    console.error(error);
    bail(1);
  });
  // Last resort when the event loop is already ending: synchronous kills.
  process.on("exit", () => {
    for (const handle of running) handle.child.kill("SIGKILL");
  });
}
