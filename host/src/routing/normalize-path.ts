import type { PathsConfig } from "../config/schema.js";

/** Why a request path was refused (sent to the client as the error's message). */
export interface PathRefusal {
  refused: string;
}

/**
 * The one canonical form of a request path, computed once before listener policies, routing and the
 * upstream, so that all three see the same bytes (docs/configuration.md, "Paths"):
 * - percent-escapes of unreserved characters (ALPHA DIGIT - . _ ~) are decoded, other escapes are
 *   written with upper-case hex; an invalid escape, or escapes that are not UTF-8 (overlong forms
 *   such as %C0%AF included), are refused;
 * - %2F and %5C (encoded slash and backslash) and a raw backslash follow `paths`;
 * - `.` and `..` segments are resolved (encoded ones too), never above the root;
 * - runs of slashes are merged when `paths.mergeSlashes`;
 * - a fragment (`#`) is refused: clients never send one, and servers disagree on where it ends.
 * Paths with nothing to change are returned as they are, without allocating.
 */
export function canonicalPath(path: string, paths: PathsConfig): string | PathRefusal {
  if (!NEEDS_WORK.test(path)) return path;
  if (path.includes("#")) return { refused: "the request target has a fragment (#)" };
  let decoded = "";
  let bytes: number[] | undefined; // a run of escaped non-ASCII bytes, checked as UTF-8 when it ends
  for (let i = 0; i < path.length; i++) {
    const char = path[i]!;
    if (char !== "%") {
      if (char !== "\\") decoded += char;
      else if (paths.backslashes === "slash") decoded += "/";
      else return { refused: "a backslash in the path" };
      continue;
    }
    const byte = hexByte(path, i + 1);
    if (byte < 0) return { refused: "an invalid percent-escape" };
    i += 2;
    if (byte >= 0x80) {
      (bytes ??= []).push(byte);
      if (!endsUtf8Run(path, i + 1)) continue;
      if (!isUtf8(bytes)) return { refused: "percent-escapes that are not UTF-8" };
      for (const b of bytes) decoded += percentEscape(b);
      bytes = undefined;
    } else if (byte === 0x2f || byte === 0x5c) {
      if (paths.encodedSlashes === "reject") return { refused: "an encoded slash or backslash (%2F, %5C) in the path" };
      decoded += paths.encodedSlashes === "decode" ? "/" : percentEscape(byte);
    } else {
      decoded += isUnreserved(byte) ? String.fromCharCode(byte) : percentEscape(byte);
    }
  }
  return resolveSegments(decoded, paths.mergeSlashes);
}

const NEEDS_WORK = /[%\\#]|\/\.|\/\//;

/** RFC 3986 remove_dot_segments on an absolute path, optionally merging empty segments. */
function resolveSegments(path: string, mergeSlashes: boolean): string {
  const segments = path.slice(1).split("/");
  const out: string[] = [];
  const last = segments.length - 1;
  segments.forEach((segment, index) => {
    if (segment === "." || segment === "..") {
      if (segment === "..") out.pop();
      if (index === last) out.push(""); // "/a/.." is "/", "/a/." is "/a/"
    } else if (segment !== "" || !mergeSlashes || index === last) {
      out.push(segment);
    }
  });
  return `/${out.join("/")}`;
}

function hexByte(text: string, at: number): number {
  const high = hexDigit(text.charCodeAt(at));
  const low = hexDigit(text.charCodeAt(at + 1));
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

function isUnreserved(byte: number): boolean {
  const lower = byte | 0x20;
  return (lower >= 97 && lower <= 122) || (byte >= 48 && byte <= 57) || byte === 0x2d || byte === 0x2e || byte === 0x5f || byte === 0x7e;
}

function percentEscape(byte: number): string {
  return `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
}

/** Whether the escaped non-ASCII run ends before `at` (the next character is not an escape of a byte >= 0x80). */
function endsUtf8Run(text: string, at: number): boolean {
  return text[at] !== "%" || hexByte(text, at + 1) < 0x80;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function isUtf8(bytes: number[]): boolean {
  try {
    strictUtf8.decode(Uint8Array.from(bytes));
    return true;
  } catch {
    return false;
  }
}
