import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { afterEach, describe, expect, it } from "vitest";
import { startTestGateway } from "../../../test/support/gateway.js";
import { rawRequest, startUpstream, stopAll, track } from "../../../test/support/servers.js";
import { readmeExample } from "../../../test/support/plugin-examples.js";

afterEach(stopAll);

const basic = (text: string) => `Basic ${Buffer.from(text, "utf8").toString("base64")}`;
/** Drepper's SHA-256 crypt test vector: "Hello world!" with salt "saltstring". */
const SHA256_CRYPT = "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5";

describe("basic-auth in a gateway", () => {
  it("runs the README example with the host's password checks: bcrypt, $5$ and {SHA}", async () => {
    const dir = mkdtempSync(join(tmpdir(), "basic-auth-"));
    track(async () => rmSync(dir, { recursive: true, force: true }));
    const htpasswd = join(dir, "staff.htpasswd");
    const alice = bcrypt.hashSync("wonderland", 6).replace(/^\$2[ab]\$/, "$2y$");
    writeFileSync(htpasswd, `# staff\nalice:${alice}\ncarol:${SHA256_CRYPT}\n`);
    let seenAuthorization: string | undefined = "not called";
    const upstream = await startUpstream((req, res) => {
      seenAuthorization = req.headers.authorization;
      res.end("admin");
    });
    const gateway = await startTestGateway(readmeExample("basic-auth", upstream.url).replaceAll("./staff.htpasswd", htpasswd));

    const missing = await rawRequest(gateway.url("/admin"));
    expect(missing.status).toBe(401);
    expect(missing.headers["www-authenticate"]).toBe('Basic realm="staff", charset="UTF-8"');
    expect(missing.json()).toMatchObject({ code: "BASIC_AUTH_MISSING" });
    expect(seenAuthorization).toBe("not called");

    for (const [user, password] of [
      ["alice", "wonderland"],
      ["carol", "Hello world!"],
      ["bob", "builder"],
    ]) {
      const ok = await rawRequest(gateway.url("/admin"), { headers: { authorization: basic(`${user}:${password}`) } });
      expect(ok.status, user).toBe(200);
      expect(seenAuthorization).toBeUndefined();
    }

    const wrong = await rawRequest(gateway.url("/admin"), { headers: { authorization: basic("alice:wonderlan") } });
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toMatchObject({ code: "BASIC_AUTH_INVALID" });
    expect(wrong.body.toString()).not.toContain("wonderlan");
  });

  it("answers malformed credentials with 401, never a 5xx", async () => {
    const dir = mkdtempSync(join(tmpdir(), "basic-auth-"));
    track(async () => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "staff.htpasswd"), "");
    const upstream = await startUpstream((_req, res) => res.end("admin"));
    const gateway = await startTestGateway(readmeExample("basic-auth", upstream.url).replaceAll("./staff.htpasswd", join(dir, "staff.htpasswd")));
    for (const authorization of ["Basic", "Basic ====", "Basic Ym9i", basic("bob"), `Basic ${"QUFB".repeat(2000)}`]) {
      const response = await rawRequest(gateway.url("/admin"), { headers: { authorization } });
      expect(response.status, authorization.slice(0, 16)).toBe(401);
    }
    const noColon = await rawRequest(gateway.url("/admin"), { headers: { authorization: basic("bob") } });
    expect(noColon.json()).toMatchObject({ code: "BASIC_AUTH_MALFORMED" });
  });

  it("stops the start when the htpasswd file is not granted", async () => {
    const yaml = readmeExample("basic-auth", "http://127.0.0.1:9").replace('allow: ["./staff.htpasswd"]', 'allow: ["./other"]');
    await expect(startTestGateway(yaml)).rejects.toThrow(/htpasswdFile/);
  });
});
