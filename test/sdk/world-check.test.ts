import { componentEmbed, componentNew } from "@bytecodealliance/jco-transpile/wasm-tools";
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { checkWorldExports } from "../../sdk/src/component/world-exports.js";
import { customSection } from "../../sdk/src/component/wasm-binary.js";
import { SDK_WIT_FILE } from "../../sdk/src/sdk-paths.js";
import { buildFixture } from "./support/fixtures.js";

/**
 * The load-time check that a component's exports have the world's types. `init`'s result changed
 * from `result<_, config-error>` to `result<init-info, config-error>` with the same core signature,
 * so only the component-level types tell a component built for the old world apart.
 */
const world = readFileSync(SDK_WIT_FILE, "utf8");
const OLD_INIT = "export init: func(config: string) -> result<_, config-error>;";
let built: { component: Uint8Array; coreModule: Uint8Array };

/** A component of the same core module packaged against `witSource`, without the SDK's stamp. */
async function packaged(witSource: string): Promise<Uint8Array> {
  return componentNew(await componentEmbed({ binary: built.coreModule, witSource, world: "policy", stringEncoding: "utf16" }));
}

beforeAll(async () => {
  built = await buildFixture("echo");
});

describe("checkWorldExports", () => {
  it("accepts what the SDK builds, which carries the world's fingerprint", async () => {
    expect(new TextDecoder().decode(customSection(built.component, "portcullis:world-sha256"))).toMatch(/^[0-9a-f]{64}$/);
    await expect(checkWorldExports(built.component)).resolves.toBeUndefined();
  });

  it("accepts an unstamped component of the current world after comparing its types", async () => {
    const unstamped = await packaged(world);
    expect(customSection(unstamped, "portcullis:world-sha256")).toBeUndefined();
    await expect(checkWorldExports(unstamped)).resolves.toBeUndefined();
  });

  it("refuses a component whose init has the old type, naming the export and the fix", async () => {
    const oldWorld = world.replace(/export init: func\(config: string\) -> result<init-info, config-error>;/, OLD_INIT);
    expect(oldWorld).toContain(OLD_INIT);
    const old = await packaged(oldWorld);
    await expect(checkWorldExports(old)).rejects.toThrow(/export 'init' is `func\(config: string\) -> result<_, config-error>`.*rebuild it/);
  });
});
