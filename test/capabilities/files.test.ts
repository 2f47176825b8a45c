import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createFiles } from "../../host/src/capabilities/files/files-capability.js";

describe("files capability", () => {
  const base = mkdtempSync(join(tmpdir(), "portcullis-files-"));
  mkdirSync(join(base, "keys"));
  writeFileSync(join(base, "htpasswd"), "alice:{SHA}x\n");
  writeFileSync(join(base, "keys", "jwks.json"), '{"keys":[]}');
  writeFileSync(join(base, "keys", "big.bin"), Buffer.alloc(2048));
  writeFileSync(join(base, "secret.txt"), "do not read");
  symlinkSync(join(base, "secret.txt"), join(base, "keys", "escape.txt"));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  const files = createFiles({ allow: ["htpasswd", "keys/"], maxBytes: 1024 }, base);
  const text = (result: ReturnType<typeof files.read>) => (result.tag === "ok" ? Buffer.from(result.val).toString() : result);

  it("reads allow-listed files and files inside allow-listed directories", () => {
    expect(text(files.read("htpasswd"))).toBe("alice:{SHA}x\n");
    expect(text(files.read("keys/jwks.json"))).toBe('{"keys":[]}');
    expect(text(files.read(join(base, "keys", "jwks.json")))).toBe('{"keys":[]}');
  });

  it("denies other paths, traversal out of an allowed directory and symlinks leading out", () => {
    expect(files.read("secret.txt")).toMatchObject({ tag: "err", val: { tag: "denied" } });
    expect(files.read("keys/../secret.txt")).toMatchObject({ tag: "err", val: { tag: "denied" } });
    expect(files.read("keys")).toMatchObject({ tag: "err", val: { tag: "denied" } });
    expect(files.read("/etc/passwd")).toMatchObject({ tag: "err", val: { tag: "denied" } });
    expect(files.read("keys/escape.txt")).toMatchObject({ tag: "err", val: { tag: "denied" } });
  });

  it("reports missing and oversized files as unreadable", () => {
    expect(files.read("keys/missing.json")).toMatchObject({ tag: "err", val: { tag: "unreadable" } });
    expect(files.read("keys/big.bin")).toMatchObject({ tag: "err", val: { tag: "unreadable", val: expect.stringContaining("larger") } });
  });

  it("allows nothing with an empty allow-list", () => {
    expect(createFiles({ allow: [] }, base).read("htpasswd")).toMatchObject({ tag: "err", val: { tag: "denied" } });
  });
});
