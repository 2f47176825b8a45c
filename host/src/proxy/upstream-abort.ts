import { EventEmitter } from "node:events";

/**
 * Cancels one upstream call. undici accepts an EventEmitter with an `aborted` flag as `signal`; this is far
 * cheaper per request than an AbortController, whose EventTarget machinery was the largest single cost of
 * the zero-policy proxy path (bench/proxy: about a quarter of the throughput).
 */
export class UpstreamAbort extends EventEmitter {
  aborted = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit("abort");
  }
}
