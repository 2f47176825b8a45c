// nginx, as the upstream (`return 200`) and as the non-Node reference proxy: one process
// (`master_process off`, so its CPU is read from one pid), one worker, logs off, files in the run's dir.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startProcess, waitForHttp } from "../lib/children.js";
import { freePort } from "../lib/free-port.js";

/** The installed nginx's version, or undefined when there is none (`nginx -v` writes to stderr). */
export function nginxVersion() {
  const probe = spawnSync("nginx", ["-v"], { encoding: "utf8" });
  return probe.status === 0 ? (/nginx\/([\w.]+)/.exec(probe.stderr)?.[1] ?? "unknown") : undefined;
}

function nginxConfig(dir, port, serverBlock) {
  const temp = (name) => join(dir, name);
  return `daemon off;
master_process off;
worker_processes 1;
pid ${temp("nginx.pid")};
error_log ${temp("error.log")} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${temp("client-body")};
  proxy_temp_path ${temp("proxy")};
  fastcgi_temp_path ${temp("fastcgi")};
  uwsgi_temp_path ${temp("uwsgi")};
  scgi_temp_path ${temp("scgi")};
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  client_max_body_size 16m;
  client_body_buffer_size 128k;
  ${serverBlock.replaceAll("PORT", String(port))}
}
`;
}

const UPSTREAM_SERVER = `server {
    listen 127.0.0.1:PORT;
    location / { default_type text/plain; return 200 "hello from upstream\\n"; }
  }`;

function proxyServer(upstreamUrl) {
  return `upstream backend { server ${new URL(upstreamUrl).host}; keepalive 128; }
  server {
    listen 127.0.0.1:PORT;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_request_buffering off;
    }
  }`;
}

/** Starts nginx in `role` "upstream" or "proxy"; resolves to `{ handle, url }`. */
export async function startNginx(role, { runDir, upstreamUrl }) {
  const dir = join(runDir, `nginx-${role}`);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const file = join(dir, "nginx.conf");
  writeFileSync(file, nginxConfig(dir, port, role === "upstream" ? UPSTREAM_SERVER : proxyServer(upstreamUrl)));
  const handle = startProcess(`nginx-${role}`, "nginx", ["-p", dir, "-c", file, "-e", join(dir, "error.log")], { logDir: runDir });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(handle, url);
  return { handle, url };
}
