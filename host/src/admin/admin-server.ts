import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

/** What an admin endpoint answers; `body` is sent as JSON unless a `contentType` says it is text. */
export interface AdminReply {
  status: number;
  body: unknown;
  contentType?: string;
}

/** Returns the reply, or undefined when it answered on `res` itself (a stream, such as /debug/requests). */
export type AdminHandler = (req: IncomingMessage, res: ServerResponse) => AdminReply | undefined | Promise<AdminReply | undefined>;

/**
 * The admin endpoints as a table of GET paths, so other parts (the policy runtime's /plugins) can add
 * theirs with `routes.set(path, handler)` before or after the server starts. `actions` are the POST
 * paths (POST /reload), a table of their own so a GET never triggers one.
 */
export type AdminRoutes = Map<string, AdminHandler>;

/** Every endpoint, as `GET /path` and `POST /path`: for the start-up log and 404 answers. */
export function adminEndpoints(routes: AdminRoutes, actions: AdminRoutes = new Map()): string[] {
  return [...[...routes.keys()].map((path) => `GET ${path}`), ...[...actions.keys()].map((path) => `POST ${path}`)];
}

export function createAdminServer(routes: AdminRoutes, actions: AdminRoutes = new Map()): Server {
  return createServer((req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0]!;
    const read = routes.get(path);
    const action = actions.get(path);
    if (!read && !action) {
      return reply(res, { status: 404, body: { code: "PCS_ERR_ROUTE_NOT_FOUND", paths: [...routes.keys()], endpoints: adminEndpoints(routes, actions) } });
    }
    const handler = req.method === "POST" ? action : req.method === "GET" || req.method === "HEAD" ? read : undefined;
    if (!handler) {
      res.setHeader("allow", [read ? "GET, HEAD" : "", action ? "POST" : ""].filter(Boolean).join(", "));
      return reply(res, { status: 405, body: { code: "PCS_ERR_METHOD_NOT_ALLOWED" } });
    }
    Promise.resolve()
      .then(() => handler(req, res))
      .then(
        (answer) => answer && reply(res, answer),
        (error: unknown) => reply(res, { status: 500, body: { code: "PCS_ERR_INTERNAL", message: String(error) } }),
      );
  });
}

function reply(res: ServerResponse, { status, body, contentType }: AdminReply): void {
  const text = contentType ? String(body) : `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { "content-type": contentType ?? "application/json", "content-length": Buffer.byteLength(text) });
  res.end(res.req.method === "HEAD" ? undefined : text);
}
