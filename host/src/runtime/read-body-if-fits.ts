import type { Readable } from "node:stream";

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
      resolve(Buffer.concat(chunks, size));
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
