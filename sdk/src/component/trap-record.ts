/**
 * What a policy's `abort` (a failed assertion, an uncaught `throw`) was told, read from guest
 * memory after the trap: the SDK's abort (assembly/runtime/abort.ts) writes it below the build's
 * `--memoryBase`, where nothing else lives, so request data can never pose as one.
 */

/** Where the record lives and what the build reserves for it (asc `--memoryBase`). */
export const TRAP_RECORD_OFFSET = 16;
export const RESERVED_LOW_MEMORY = 64;
const TRAP_MAGIC = 0x50435452;
/** Longest message or file name kept, in UTF-16 code units. */
const MAX_TEXT_UNITS = 512;

export interface AbortInfo {
  message: string | undefined;
  file: string | undefined;
  line: number;
  column: number;
}

/** An AssemblyScript string at `pointer`: UTF-16LE, its byte length in the object header just before it. */
function guestString(view: DataView, pointer: number): string | undefined {
  if (pointer < RESERVED_LOW_MEMORY || pointer > view.byteLength) return undefined;
  const bytes = view.getUint32(pointer - 4, true);
  if (bytes % 2 !== 0 || pointer + bytes > view.byteLength) return undefined;
  const units = Math.min(bytes / 2, MAX_TEXT_UNITS);
  let text = "";
  for (let i = 0; i < units; i++) text += String.fromCharCode(view.getUint16(pointer + 2 * i, true));
  return units < bytes / 2 ? `${text}…` : text;
}

/** The record, or undefined when the trap did not come through abort (or the memory is gone). */
export function readAbortRecord(buffer: ArrayBuffer | undefined): AbortInfo | undefined {
  if (!buffer || buffer.byteLength < RESERVED_LOW_MEMORY) return undefined;
  const view = new DataView(buffer);
  if (view.getUint32(TRAP_RECORD_OFFSET, true) !== TRAP_MAGIC) return undefined;
  return {
    message: guestString(view, view.getUint32(TRAP_RECORD_OFFSET + 4, true)),
    file: guestString(view, view.getUint32(TRAP_RECORD_OFFSET + 8, true)),
    line: view.getUint32(TRAP_RECORD_OFFSET + 12, true),
    column: view.getUint32(TRAP_RECORD_OFFSET + 16, true),
  };
}

/** `message at file:line:column`, as logs, errors and the harness show it. */
export function describeAbort(info: AbortInfo): string {
  const where = info.file ? ` at ${info.file}:${info.line}:${info.column}` : "";
  return `${info.message ?? "abort"}${where}`;
}
