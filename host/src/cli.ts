import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PortcullisError } from "./errors.js";

// Each command imports what it needs when it runs (the gateway, the config schema, the policy
// runtime): `--help`, `schema` and `plugin` never load the proxy, the worker pool or the SDK.

const USAGE = `Usage: portcullis <command> [options]

Commands:
  start [-c <file>] [--admin-host <host>] [--admin-port <port>]
                             Run a gateway (default config: config/gateway.yaml); see start --help
  validate <file>            Check a configuration file; exit status 1 when it has errors
  schema [-o <file>]         Print the configuration's JSON Schema (or write it to <file>)
  plugin new <dir> [--name <name>]
                             Scaffold a policy project (from @portcullis/sdk)
  plugin build [<dir>...] [--each <folder>]
                             Build policies to WebAssembly components (from @portcullis/sdk);
                             --each builds every policy project inside <folder>

Options:
  -h, --help                 Show this help
`;

const START_USAGE = `Usage: portcullis start [options]

Runs a gateway. The configuration file is reloaded when it changes (reload.watch), on SIGHUP, and on
POST /reload to the admin listener; a configuration that fails its checks is refused and the running one
keeps serving (docs/operations.md). SIGTERM or SIGINT drain and stop.

Options:
  -c, --config <file>        Configuration file (default: config/gateway.yaml)
  --admin-host <host>        Admin listener address, instead of the file's admin.host
                             (environment: PORTCULLIS_ADMIN_HOST)
  --admin-port <port>        Admin listener port, instead of the file's admin.port; 0 picks a free one
                             (environment: PORTCULLIS_ADMIN_PORT)
  -h, --help                 Show this help

The command line wins over the environment, which wins over the file.
`;

type Command = (args: string[]) => Promise<number>;

/** The subcommands; `plugin` is served by the SDK's tooling so the host does not depend on the compiler. */
const COMMANDS: Record<string, Command> = { start, validate, schema, plugin };

/** Runs the CLI; resolves to the exit status (a started gateway keeps the process alive instead). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    process.stdout.write(USAGE);
    return name === undefined ? 1 : 0;
  }
  const command = COMMANDS[name];
  if (!command) return usageError(`unknown command "${name}"`);
  try {
    return await command(rest);
  } catch (error) {
    // A ConfigError comes from load-config, loaded by then.
    if (error instanceof (await import("./config/load-config.js")).ConfigError) process.stderr.write(`${error.message}\n`);
    else if (error instanceof PortcullisError) process.stderr.write(`${error.code}: ${error.message}\n`);
    else if ((error as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return usageError((error as Error).message);
    else throw error;
    return 1;
  }
}

function usageError(message: string, usage = USAGE): number {
  process.stderr.write(`PCS_ERR_CLI_USAGE: ${message}\n\n${usage}`);
  return 2;
}

async function start(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: "string", short: "c" },
      "admin-host": { type: "string" },
      "admin-port": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(START_USAGE);
    return 0;
  }
  const adminPort = values["admin-port"] ?? process.env.PORTCULLIS_ADMIN_PORT;
  const port = adminPort === undefined ? undefined : Number(adminPort);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535 && adminPort!.trim() !== "")) {
    return usageError(`admin port must be an integer from 0 to 65535, not "${adminPort}"`, START_USAGE);
  }
  const host = values["admin-host"] ?? (process.env.PORTCULLIS_ADMIN_HOST || undefined);
  const configPath = values.config ?? "config/gateway.yaml";
  // Policy worker threads boot while the gateway's modules load (see bootThreadsFor).
  const bootedThreads = (await import("./runtime/channel/early-boot.js")).bootThreadsFor(configPath);
  const [{ startGateway }, { adminEndpoints }] = await Promise.all([import("./gateway.js"), import("./admin/admin-server.js")]);
  const gateway = await startGateway({ configPath }, { admin: { host, port }, bootedThreads });
  const { logger } = gateway;
  for (const listener of gateway.listeners) logger.info({ listener: listener.name, url: listener.url }, `listening on ${listener.url}`);
  if (gateway.admin) {
    const endpoints = adminEndpoints(gateway.adminRoutes, gateway.adminActions);
    logger.info({ url: gateway.admin.url, endpoints }, `admin on ${gateway.admin.url}: ${endpoints.join(", ")}`);
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    const deadline = gateway.config.shutdown.drainTimeoutMs;
    const drained = gateway.drain(deadline); // stops accepting synchronously, before the log line below
    logger.info({ signal, deadlineMs: deadline }, "draining");
    drained.then(
      () => {
        logger.info("stopped");
        logger.flush(() => process.exit(0));
      },
      (error: unknown) => {
        logger.error({ err: error }, "error while draining");
        logger.flush(() => process.exit(1));
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // Node's default for SIGHUP ends the process; here it reloads (the reloader logs the outcome, never throws).
  process.on("SIGHUP", (signal) => {
    logger.info({ signal }, `${signal}: reloading ${configPath}`);
    void gateway.reload("signal");
  });
  return new Promise<number>(() => {});
}

async function validate(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true });
  if (positionals.length !== 1) return usageError("validate takes exactly one file");
  const [{ loadConfigFile }, { PolicyRuntime, preparePolicies }, { pino }] = await Promise.all([
    import("./config/load-config.js"),
    import("./runtime/policy-runtime.js"),
    import("pino"),
  ]);
  const loaded = loadConfigFile(positionals[0]!);
  // Plugins are loaded, every policy entry checked against them and every instance initialised in a
  // worker, as `start` does, without opening any listener.
  const prepared = await preparePolicies(loaded);
  const runtime = PolicyRuntime.start(prepared, loaded, pino({ level: "silent" }));
  try {
    await runtime?.warmUp(loaded);
  } finally {
    await runtime?.close();
  }
  const { plan, plugins } = prepared;
  const routes = loaded.config.listeners.reduce((n, l) => n + l.routes.length, 0);
  process.stdout.write(
    `${loaded.source}: valid (${loaded.config.listeners.length} listener(s), ${routes} route(s), ` +
      `${plugins.size} plugin(s), ${plan.instances.length} policy instance(s))\n`,
  );
  return 0;
}

async function schema(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { output: { type: "string", short: "o" } } });
  const { configJsonSchemaText } = await import("./config/json-schema.js");
  if (values.output) writeFileSync(values.output, configJsonSchemaText());
  else process.stdout.write(configJsonSchemaText());
  return 0;
}

type PluginTooling = typeof import("@portcullis/sdk/tooling");

function policyProjectsIn(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(folder, entry.name, "assembly", "index.ts")))
    .map((entry) => join(folder, entry.name))
    .sort();
}

/** `plugin new|build`: the SDK's tooling, loaded on demand so starting a gateway never loads the compiler. */
async function plugin(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { name: { type: "string" }, out: { type: "string", short: "o" }, each: { type: "string" } },
  });
  const [action, dir, ...moreDirs] = positionals;
  // --each <folder>: every policy project directly inside it (how `npm install` builds plugins/).
  if (values.each !== undefined) moreDirs.push(...policyProjectsIn(values.each));
  if (action !== "new" && action !== "build") return usageError('plugin takes "new <dir>" or "build [<dir>...]"');
  if (action === "new" && !dir) return usageError("plugin new needs a directory");
  let tooling: PluginTooling;
  try {
    tooling = await import("@portcullis/sdk/tooling");
  } catch (error) {
    return usageError(`plugin commands need @portcullis/sdk (not available: ${(error as Error).message})`);
  }
  try {
    if (action === "new") {
      const files = await tooling.pluginNew(dir!, { name: values.name });
      process.stdout.write(`created ${files.length} files:\n${files.map((f) => `  ${f}`).join("\n")}\n`);
    } else {
      const targets = dir === undefined && values.each !== undefined ? moreDirs : [dir ?? ".", ...moreDirs];
      for (const target of targets) {
        const built = await tooling.pluginBuild(target, { outDir: values.out });
        process.stdout.write(`built ${built.name}: ${built.wasmPath} (${built.component.length} bytes, ${Math.round(built.milliseconds)} ms)\n`);
      }
    }
    return 0;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    process.stderr.write(`${typeof code === "string" && code.startsWith("PCS_ERR_") ? `${code}: ` : ""}${(error as Error).message}\n`);
    return 1;
  }
}
