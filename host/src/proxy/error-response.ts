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
  const headers = ["content-type", "application/json"];
  const retryAfter = fault.retryAfterSeconds ?? RETRY_AFTER_SECONDS[fault.code];
  if (retryAfter !== undefined) headers.push("retry-after", String(retryAfter));
  return { status: fault.status, headers, body };
}

/**
 * 503s that come from load or a passing state carry Retry-After (seconds): a busy pool or a replaced
 * worker clears within a second or so; a draining gateway or a quarantined policy takes longer.
 */
const RETRY_AFTER_SECONDS: Partial<Record<HttpErrorCode, number>> = {
  PCS_ERR_POLICY_POOL_BUSY: 1,
  PCS_ERR_POLICY_TIMEOUT: 1,
  PCS_ERR_POLICY_UNAVAILABLE: 5,
  PCS_ERR_POLICY_QUARANTINED: 5,
  PCS_ERR_SHUTTING_DOWN: 5,
  PCS_ERR_OVERLOADED: 1,
  PCS_ERR_NO_HEALTHY_UPSTREAM: 5,
};

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
