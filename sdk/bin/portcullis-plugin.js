#!/usr/bin/env node
// `portcullis-plugin new <dir>` / `portcullis-plugin build [<dir>]`: the SDK's own command, so a
// policy project that depends only on @portcullis/sdk can scaffold and build (`npm run build`).
import { pluginBuild, pluginNew } from "../dist/tooling/index.js";

const [action, dir] = process.argv.slice(2);
try {
  if (action === "new" && dir) {
    const files = await pluginNew(dir, {});
    process.stdout.write(`created ${files.length} files in ${dir}\n`);
  } else if (action === "build") {
    const built = await pluginBuild(dir ?? ".", {});
    process.stdout.write(`built ${built.name}: ${built.wasmPath} (${built.component.length} bytes, ${Math.round(built.milliseconds)} ms)\n`);
  } else {
    process.stderr.write("usage: portcullis-plugin new <dir> | build [<dir>]\n");
    process.exitCode = 2;
  }
} catch (error) {
  const code = typeof error?.code === "string" && error.code.startsWith("PCS_ERR_") ? `${error.code}: ` : "";
  process.stderr.write(`${code}${error.message}\n`);
  process.exitCode = 1;
}
