/** Files of a new policy project (`portcullis plugin new`). */
import { SDK_PACKAGE_NAME } from "../sdk-paths.js";
import { SDK_VERSION } from "../version.js";
import type { ProjectManifest, ScaffoldLock } from "./scaffold-lock.js";

/** The vitest the SDK is tested with (a release records the repository's exact range instead). */
export const DEFAULT_VITEST_RANGE = "^4.1.12";

/** `sdkSpec`: how package.json names the SDK (`^0.1.0` from a registry, `file:...tgz` from a release tarball). */
export function projectManifest(name: string, sdkSpec = `^${SDK_VERSION}`, recorded?: ScaffoldLock): ProjectManifest {
  const devDependencies = { vitest: recorded?.devDependencies.vitest ?? DEFAULT_VITEST_RANGE };
  const overrides = recorded && Object.keys(recorded.overrides).length ? recorded.overrides : undefined;
  return { name, version: "0.1.0", dependencies: { [SDK_PACKAGE_NAME]: sdkSpec }, devDependencies, overrides };
}

export function scaffoldFiles(manifest: ProjectManifest): Record<string, string> {
  const name = manifest.name;
  const className = name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
  return {
    "package.json": `${JSON.stringify(
      {
        name,
        version: manifest.version,
        private: true,
        type: "module",
        scripts: { build: "portcullis-plugin build .", test: "vitest run" },
        dependencies: manifest.dependencies,
        devDependencies: manifest.devDependencies,
        overrides: manifest.overrides,
        portcullis: { maximumMemoryPages: 160 },
      },
      null,
      2,
    )}\n`,
    "assembly/index.ts": `import { Policy, Request, Decision, Config, JsonValue, register } from "${SDK_PACKAGE_NAME}";

/** Adds a header to every request. */
class ${className} extends Policy {
  header: string = "";
  value: string = "";

  constructor() {
    super("${name}", "0.1.0");
    this.configSchema = JsonValue.parse(
      \`{"type":"object","properties":{"header":{"type":"string"},"value":{"type":"string"}},"required":["header"]}\`,
    )!;
  }

  configure(config: Config): void {
    this.header = config.requireString("header");
    this.value = config.optionalString("value", "yes");
  }

  onRequest(request: Request): Decision {
    return Decision.next().setHeader(this.header, this.value);
  }
}

register(new ${className}());
`,
    "test/policy.test.ts": `import { beforeAll, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { pluginBuild } from "${SDK_PACKAGE_NAME}/tooling";
import { loadPolicy, type TestPolicy } from "${SDK_PACKAGE_NAME}/testing";

const projectDir = fileURLToPath(new URL("..", import.meta.url));
let policy: TestPolicy;

beforeAll(async () => {
  const { wasmPath } = await pluginBuild(projectDir);
  policy = await loadPolicy(wasmPath, { config: { header: "x-hello", value: "world" } });
}, 60_000);

describe("${name}", () => {
  it("adds the configured header", () => {
    const result = policy.onRequest({ path: "/" });
    expect(result).toMatchObject({
      tag: "ok",
      val: { tag: "continue", val: { headers: [{ tag: "set", val: { name: "x-hello", value: "world" } }] } },
    });
  });
});
`,
    "vitest.config.ts": `import { defineConfig } from "vitest/config";

export default defineConfig({ test: { include: ["test/**/*.test.ts"], testTimeout: 60_000 } });
`,
    ".gitignore": "build/\nnode_modules/\n",
    "README.md": `# ${name}

A Portcullis gateway policy. \`npm run build\` writes \`build/${name}.wasm\`; \`npm test\` builds it and runs
\`test/\` against it. See the ${SDK_PACKAGE_NAME} README (node_modules/${SDK_PACKAGE_NAME}/README.md) for the API.
`,
  };
}
