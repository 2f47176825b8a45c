import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

/** What an admin endpoint answers; `body` is sent as JSON unless a `contentType` says it is text. */
export interface AdminReply {
  status: number;
  body: unknown;
  contentType?: string;
}

export type AdminHandler = (req: IncomingMessage) => AdminReply | Promise<AdminReply>;

/**
 * The admin endpoints as a table of GET paths, so other parts (the policy runtime's /plugins) can add
 * theirs with `routes.set(path, handler)` before or after the server starts.
 */
export type AdminRoutes = Map<string, AdminHandler>;

export function createAdminServer(routes: AdminRoutes): Server {
  return createServer((req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0]!;
    const handler = routes.get(path);
    if (!handler) return reply(res, { status: 404, body: { code: "PCS_ERR_ROUTE_NOT_FOUND", paths: [...routes.keys()] } });
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      return reply(res, { status: 405, body: { code: "PCS_ERR_METHOD_NOT_ALLOWED" } });
    }
    Promise.resolve()
      .then(() => handler(req))
      .then(
        (answer) => reply(res, answer),
        (error: unknown) => reply(res, { status: 500, body: { code: "PCS_ERR_INTERNAL", message: String(error) } }),
      );
  });
}

function reply(res: ServerResponse, { status, body, contentType }: AdminReply): void {
  const text = contentType ? String(body) : `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { "content-type": contentType ?? "application/json", "content-length": Buffer.byteLength(text) });
  res.end(res.req.method === "HEAD" ? undefined : text);
}
