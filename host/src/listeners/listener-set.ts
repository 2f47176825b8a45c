import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PortcullisError } from "../errors.js";
import type { ListenerConfig } from "../config/schema.js";
import type { ListenerRuntime } from "./listener-runtime.js";
import { createListenerServer, listen, prepareServerUpdate, type ListenerSlot } from "./listener-server.js";

export interface BoundAddress {
  host: string;
  port: number;
  /** http(s)://host:port, for clients. */
  url: string;
}

interface OpenListener {
  server: Server;
  slot: ListenerSlot;
  address: BoundAddress;
}

/** A reload's listener changes, ready to apply: `apply` switches every listener at once and cannot fail. */
export interface ListenerSwitch {
  kept: string[];
  added: string[];
  removed: string[];
  apply(): void;
  /** Gives up: closes the listeners opened for it. */
  abort(): Promise<void>;
}

/**
 * The servers of a gateway's listeners, by name. A listener kept across a reload (same name, host, port and
 * protocol) keeps its server, sockets and keep-alive connections: only the runtime its slot points at
 * changes. Added listeners are opened before the switch; removed ones stop accepting at the switch and
 * close once their connections are done (at most `drainMs`).
 */
export class ListenerSet {
  readonly #open = new Map<string, OpenListener>();
  readonly #closing = new Set<Server>();

  constructor(private readonly baseDir: string) {}

  /** name, host, port and URL of every open listener, in configuration order. */
  get addresses(): Array<BoundAddress & { name: string }> {
    return [...this.#open].map(([name, open]) => ({ name, ...open.address }));
  }

  /** Opens the listeners of a first configuration; on failure closes those it opened and throws. */
  async open(runtimes: Map<string, ListenerRuntime>): Promise<void> {
    const change = await this.prepare(runtimes, 0);
    change.apply();
  }

  async prepare(runtimes: Map<string, ListenerRuntime>, drainMs: number): Promise<ListenerSwitch> {
    const kept: Array<[OpenListener, ListenerRuntime, () => void]> = [];
    const added = new Map<string, OpenListener>();
    const abort = async (): Promise<void> => {
      await Promise.all([...added.values()].map((open) => closeNow(open.server)));
    };
    try {
      for (const [name, runtime] of runtimes) {
        const open = this.#open.get(name);
        if (open && sameAddress(open.slot.runtime.config, runtime.config)) kept.push([open, runtime, this.#prepareUpdate(open, runtime)]);
        else added.set(name, await this.#bind(runtime));
      }
    } catch (error) {
      await abort();
      throw error;
    }
    const removed = [...this.#open.keys()].filter((name) => !kept.some(([open]) => open === this.#open.get(name)));
    return {
      kept: kept.map(([, runtime]) => runtime.name),
      added: [...added.keys()],
      removed,
      abort,
      apply: () => {
        for (const [open, runtime, update] of kept) {
          update();
          open.slot.runtime = runtime;
        }
        for (const name of removed) {
          closeGracefully(this.#open.get(name)!.server, drainMs, this.#closing);
          this.#open.delete(name);
        }
        for (const [name, open] of added) this.#open.set(name, open);
        // Configuration order, for `addresses`.
        const order = [...runtimes.keys()];
        const entries = [...this.#open].sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
        this.#open.clear();
        for (const [name, open] of entries) this.#open.set(name, open);
      },
    };
  }

  /** Drain: stop accepting, close idle keep-alive connections (busy ones close after their response). */
  stopAccepting(): void {
    for (const server of this.#servers()) {
      server.close();
      server.closeIdleConnections();
    }
  }

  /** Closes every server and connection now. */
  async close(): Promise<void> {
    await Promise.all(this.#servers().map(closeNow));
  }

  #servers(): Server[] {
    return [...[...this.#open.values()].map((open) => open.server), ...this.#closing];
  }

  #prepareUpdate(open: OpenListener, runtime: ListenerRuntime): () => void {
    try {
      return prepareServerUpdate(open.server, runtime, this.baseDir);
    } catch (error) {
      throw new PortcullisError("PCS_ERR_LISTEN_FAILED", `listener "${runtime.name}" cannot use its TLS files: ${(error as Error).message}`, { cause: error });
    }
  }

  async #bind(runtime: ListenerRuntime): Promise<OpenListener> {
    const slot: ListenerSlot = { runtime };
    const { host, port } = runtime.config;
    try {
      const server = createListenerServer(slot, this.baseDir);
      const address = boundAddress(await listen(server, port, host), runtime.protocol);
      return { server, slot, address };
    } catch (error) {
      throw new PortcullisError("PCS_ERR_LISTEN_FAILED", `listener "${runtime.name}" cannot listen on ${host}:${port}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

/**
 * A server a reload removed: no new connections; keep-alive ones close as soon as they are idle, all by
 * `drainMs`. It stays in `closing` until closed, so that closing the gateway can cut it short.
 */
export function closeGracefully(server: Server, drainMs: number, closing: Set<Server>): void {
  closing.add(server);
  server.close();
  const idle = setInterval(() => server.closeIdleConnections(), 50);
  const deadline = setTimeout(() => server.closeAllConnections(), drainMs);
  server.closeIdleConnections();
  server.once("close", () => {
    clearInterval(idle);
    clearTimeout(deadline);
    closing.delete(server);
  });
}

function sameAddress(a: ListenerConfig, b: ListenerConfig): boolean {
  return a.host === b.host && a.port === b.port && Boolean(a.tls) === Boolean(b.tls);
}

export async function closeNow(server: Server): Promise<void> {
  const closed = server.listening ? new Promise((resolve) => server.once("close", resolve)) : undefined;
  server.close();
  server.closeAllConnections();
  await closed;
}

export function boundAddress(address: AddressInfo, protocol: "http" | "https"): BoundAddress {
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return { host: address.address, port: address.port, url: `${protocol}://${host}:${address.port}` };
}
