import type { Readable } from "node:stream";

/**
 * Bodies at least this large are gathered into shared memory: posting one to a policy worker then
 * shares it instead of copying it (the direct channel sends them by port; piscina clones its tasks).
 */
export const SHARED_BODY_BYTES = 16 * 1024;

/** The chunks of a body in one buffer, in shared memory from SHARED_BODY_BYTES on (the same one copy as Buffer.concat). */
export function joinBody(chunks: readonly Buffer[], size: number): Buffer {
  if (size < SHARED_BODY_BYTES) return Buffer.concat(chunks, size);
  const joined = Buffer.from(new SharedArrayBuffer(size));
  let at = 0;
  for (const chunk of chunks) {
    joined.set(chunk, at);
    at += chunk.length;
  }
  return joined;
}

/**
 * Reads a whole body if it is at most `limit` bytes. A larger one is left to stream: what was
 * read goes back to the front of the stream, which stays paused until its consumer (a pipe to
 * the client or the upstream) reads it, so only `limit` bytes or so are ever held.
 * Resolves undefined for a body that does not fit; rejects when the stream fails.
 */
export function readBodyIfFits(stream: Readable, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size <= limit) return;
      stream.pause();
      stop();
      stream.unshift(Buffer.concat(chunks, size));
      resolve(undefined);
    };
    const onEnd = () => {
      stop();
      resolve(joinBody(chunks, size));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    stream.on("data", onData);
    stream.once("end", onEnd);
    stream.once("error", onError);
  });
}
