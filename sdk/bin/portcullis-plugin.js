#!/usr/bin/env node
// `portcullis-plugin new <dir> [--sdk <tarball>]` / `portcullis-plugin build [<dir>]`: the SDK's own
// command, so a policy project that depends only on the SDK can scaffold and build (`npm run build`).
// `new` loads no dependency (the compiler is imported only to build), so it runs straight from an
// unpacked release tarball before anything is installed.
import { parseArgs } from "node:util";

const { positionals, values } = parseArgs({ allowPositionals: true, options: { sdk: { type: "string" }, name: { type: "string" } } });
const [action, dir] = positionals;
try {
  if (action === "new" && dir) {
    const { pluginNew } = await import("../dist/tooling/scaffold.js");
    const files = await pluginNew(dir, { sdk: values.sdk, name: values.name });
    process.stdout.write(`created ${files.length} files in ${dir}\n`);
  } else if (action === "build") {
    const { pluginBuild } = await import("../dist/tooling/index.js");
    const built = await pluginBuild(dir ?? ".", {});
    process.stdout.write(`built ${built.name}: ${built.wasmPath} (${built.component.length} bytes, ${Math.round(built.milliseconds)} ms)\n`);
  } else {
    process.stderr.write("usage: portcullis-plugin new <dir> [--sdk <release tarball>] [--name <policy-name>] | build [<dir>]\n");
    process.exitCode = 2;
  }
} catch (error) {
  const code = typeof error?.code === "string" && error.code.startsWith("PCS_ERR_") ? `${error.code}: ` : "";
  process.stderr.write(`${code}${error.message}\n`);
  process.exitCode = 1;
}
