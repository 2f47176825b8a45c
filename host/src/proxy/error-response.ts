import { randomUUID } from "node:crypto";
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { ERRORS, type HttpErrorCode } from "../errors.js";
import type { ErrorResponse, Fault } from "./flow-runner.js";

export function faultOf(code: HttpErrorCode, message?: string, policy?: string): Fault {
  return { code, status: ERRORS[code].status, message: message ?? ERRORS[code].meaning, policy };
}

/** The default error response: a small JSON body with the stable code and the request id. */
export function defaultErrorResponse(fault: Fault, requestId: string): ErrorResponse {
  const body = JSON.stringify({ code: fault.code, status: fault.status, message: fault.message, requestId });
  return { status: fault.status, headers: ["content-type", "application/json"], body };
}

/**
 * Writes an error response straight to a socket, for errors Node raises before there is a request object
 * (malformed request, headers too large, header timeout). Closes the connection afterwards.
 */
export function writeSocketError(socket: Socket, code: HttpErrorCode): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const requestId = randomUUID();
  const response = defaultErrorResponse(faultOf(code), requestId);
  const body = response.body as string;
  let head = `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? "Error"}\r\n`;
  for (let i = 0; i < response.headers.length; i += 2) head += `${response.headers[i]}: ${response.headers[i + 1]}\r\n`;
  head += `x-request-id: ${requestId}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`;
  socket.end(head + body);
}
