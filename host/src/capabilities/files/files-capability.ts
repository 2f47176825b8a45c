import { closeSync, fstatSync, openSync, readSync, realpathSync } from "node:fs";
import { isAbsolute, resolve, sep } from "node:path";
import type { Capabilities, FileError, Result } from "../contract.js";

export interface FilesGrant {
  /** Files, or directories when the entry ends with `/`, relative to the base directory. */
  allow: string[];
  /** Largest file returned, default 1 MiB. */
  maxBytes?: number;
}

/**
 * The `files` capability: synchronous reads of allow-listed paths. Paths are
 * compared after resolving symbolic links, so a link cannot lead out of an
 * allowed directory.
 */
export function createFiles(grant: FilesGrant, baseDir: string): Capabilities["files"] {
  const maxBytes = grant.maxBytes ?? 1024 * 1024;
  const allowed = grant.allow.map((entry) => ({
    path: resolve(baseDir, entry),
    directory: entry.endsWith("/"),
  }));
  const denied = (path: string): Result<Uint8Array, FileError> => ({
    tag: "err",
    val: { tag: "denied", val: `${path} is not allow-listed` },
  });
  const unreadable = (message: string): Result<Uint8Array, FileError> => ({
    tag: "err",
    val: { tag: "unreadable", val: message },
  });
  return {
    read(path) {
      const requested = isAbsolute(path) ? path : resolve(baseDir, path);
      if (!allowed.some((entry) => covers(entry, requested))) return denied(path);
      let real: string;
      try {
        real = realpathSync(requested);
      } catch (error) {
        return unreadable(`${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
      const realAllowed = allowed.some((entry) => covers({ ...entry, path: realOrSelf(entry.path) }, real));
      if (!realAllowed) return denied(path);
      return readCapped(real, maxBytes, path) ?? unreadable(`${path} is larger than ${maxBytes} bytes`);
    },
  };
}

function covers(entry: { path: string; directory: boolean }, target: string): boolean {
  return entry.directory ? target.startsWith(entry.path.endsWith(sep) ? entry.path : entry.path + sep) : target === entry.path;
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The file's bytes, undefined when it exceeds `maxBytes`. */
function readCapped(path: string, maxBytes: number, shownPath: string): Result<Uint8Array, FileError> | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const stats = fstatSync(fd);
    const size = stats.size;
    if (!stats.isFile()) return { tag: "err", val: { tag: "unreadable", val: `${shownPath} is not a file` } };
    if (size > maxBytes) return undefined;
    const buffer = new Uint8Array(size);
    let offset = 0;
    while (offset < size) {
      const read = readSync(fd, buffer, offset, size - offset, offset);
      if (read === 0) break;
      offset += read;
    }
    return { tag: "ok", val: buffer.subarray(0, offset) };
  } catch (error) {
    return { tag: "err", val: { tag: "unreadable", val: `${shownPath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` } };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
