import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildPolicy } from "../../sdk/src/build/build-policy.js";
import { inspectPolicyComponent } from "../../sdk/src/component/policy-component.js";
import { InvalidComponentError, PolicyBuildError } from "../../sdk/src/errors.js";
import { buildFixture, fixtureDir } from "./support/fixtures.js";

describe("buildPolicy", () => {
  it("builds the same source to the same bytes", async () => {
    const first = await buildFixture("echo");
    const outDir = await mkdtemp(join(tmpdir(), "pcs-build-"));
    try {
      const second = await buildPolicy(fixtureDir("echo"), { outDir });
      expect(Buffer.compare(await readFile(second.wasmPath), await readFile(first.wasmPath))).toBe(0);
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  });

  it("points compile errors at the author's file and line", async () => {
    const error = await buildPolicy(fixtureDir("broken")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyBuildError);
    expect((error as PolicyBuildError).code).toBe("PCS_ERR_POLICY_BUILD");
    expect((error as PolicyBuildError).problems.join("\n")).toMatch(/fixtures\/broken\/assembly\/index\.ts:7:\d+: error AS\d+/);
  });

  it("points errors inside library generics at the author's call that instantiated them", async () => {
    const error = await buildPolicy(fixtureDir("broken-generic")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyBuildError);
    const problems = (error as PolicyBuildError).problems;
    expect(problems).toContainEqual(
      expect.stringMatching(
        /fixtures\/broken-generic\/assembly\/index\.ts:11:20: error AS2339: Property 'toString' does not exist .*\(in ~lib\/util\/string\.ts, instantiated by this call\)$/,
      ),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(/fixtures\/broken-generic\/assembly\/index\.ts:12:5: error AS2365: .*\(in ~lib\/util\/sort\.ts, instantiated by this call\)$/),
    );
    expect(problems.filter((p) => p.startsWith("~lib/"))).toEqual([]);
    expect(new Set(problems).size).toBe(problems.length);
  });

  it("produces a component whose capabilities are the interfaces it imports", async () => {
    const info = inspectPolicyComponent((await buildFixture("echo")).component);
    expect(info.capabilities).toEqual(["clock"]);
    expect(info.maximumMemoryBytes).toBe(256 * 65536);
  });
});

describe("inspectPolicyComponent", () => {
  it("names what a component lacks", async () => {
    const { componentNew, componentEmbed, parse } = await import("@bytecodealliance/jco-transpile/wasm-tools");
    const witSource = "package t:t@0.1.0; world w { export describe: func() -> string; }";
    const core = await parse(
      '(module (memory (export "cm32p2_memory") 1) (func (export "cm32p2_realloc") (param i32 i32 i32 i32) (result i32) i32.const 8) (func (export "cm32p2||describe") (result i32) i32.const 0) (func (export "cm32p2||describe_post") (param i32)))',
    );
    const component = await componentNew(await componentEmbed({ binary: core, witSource, world: "w", stringEncoding: "utf16" }));
    let error: unknown;
    try {
      inspectPolicyComponent(component);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidComponentError);
    const problems = (error as InvalidComponentError).problems;
    expect(problems).toContain("missing export 'cm32p2||on-request' (i32) -> (i32)");
    expect(problems).toContain("missing export 'cm32p2_initialize' () -> ()");
    expect(() => inspectPolicyComponent(new Uint8Array([1, 2, 3]))).toThrow(InvalidComponentError);
  });
});
