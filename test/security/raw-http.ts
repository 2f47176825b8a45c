import { connect } from "node:net";

/**
 * Sends `text` as is on a fresh connection and resolves with everything the server wrote until it
 * closed (or `waitMs` passed): for request targets and headers that HTTP clients would rewrite.
 */
export function rawExchange(port: number, text: string, waitMs = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    let received = "";
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.on("error", reject);
  });
}

/** The status code of the first response in a raw exchange (0 when there is none). */
export function statusOf(raw: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
}

/** `GET target` with Connection: close, so the server closes after one response. */
export function rawGet(target: string, headers = ""): string {
  return `GET ${target} HTTP/1.1\r\nHost: gateway.test\r\n${headers}Connection: close\r\n\r\n`;
}
