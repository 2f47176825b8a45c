import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { answerOf, loadPolicy, type RequestInput, type TestPolicy } from "@portcullis/sdk/testing";
import type { Capabilities } from "@portcullis/sdk/component";

const wasmPath = fileURLToPath(new URL("../build/basic-auth.wasm", import.meta.url));
const sha1Hash = (password: string) => `{SHA}${createHash("sha1").update(password).digest("base64")}`;
const USERS = [
  { username: "alice", hash: bcrypt.hashSync("wonderland", 4) },
  { username: "bob", hash: sha1Hash("builder") },
];

/** verify-password for bcrypt and {SHA}, recording which hashes were checked. */
function passwordCrypto(checked: string[]): Partial<Capabilities> {
  return {
    crypto: {
      hash: () => new Uint8Array(),
      hmac: () => new Uint8Array(),
      constantTimeEqual: () => false,
      verifySignature: () => ({ tag: "ok", val: false }),
      verifyPassword: (hash, password) => {
        checked.push(hash);
        if (hash.startsWith("{SHA}")) return { tag: "ok", val: sha1Hash(password) === hash };
        return { tag: "ok", val: bcrypt.compareSync(password, hash) };
      },
    },
  };
}

const basic = (text: string) => `Basic ${Buffer.from(text, "utf8").toString("base64")}`;

async function load(config: Record<string, unknown> = { users: USERS }, checked: string[] = []): Promise<TestPolicy> {
  return loadPolicy(wasmPath, { config, capabilities: passwordCrypto(checked) });
}

function rejected(policy: TestPolicy, input: RequestInput) {
  const answer = answerOf(policy.onRequest(input));
  return { status: answer.status, challenge: answer.header("www-authenticate"), code: answer.json<{ code: string }>().code };
}

describe("basic-auth", () => {
  it("accepts bcrypt and {SHA} users: the user name into metadata, Authorization removed", async () => {
    const policy = await load();
    for (const [user, password] of [
      ["alice", "wonderland"],
      ["bob", "builder"],
    ]) {
      const result = policy.onRequest({ headers: { authorization: basic(`${user}:${password}`) } });
      expect(result).toMatchObject({
        tag: "ok",
        val: {
          tag: "continue",
          val: { headers: [{ tag: "remove", val: "authorization" }], metadata: [{ tag: "set", val: { key: "consumer", value: JSON.stringify(user) } }] },
        },
      });
    }
  });

  it("accepts a password containing colons, and keeps the header when told to", async () => {
    const policy = await load({ users: [{ username: "carol", hash: sha1Hash("ä:b:c") }], keepCredential: true });
    expect(policy.onRequest({ headers: { authorization: basic("carol:ä:b:c") } })).toMatchObject({
      tag: "ok",
      val: { tag: "continue", val: { headers: [] } },
    });
  });

  it("answers 401 with the realm's challenge when credentials are missing or of another scheme", async () => {
    const policy = await load({ users: USERS, realm: "staff" });
    expect(rejected(policy, {})).toEqual({ status: 401, challenge: 'Basic realm="staff", charset="UTF-8"', code: "BASIC_AUTH_MISSING" });
    expect(rejected(policy, { headers: { authorization: "Bearer abc" } }).code).toBe("BASIC_AUTH_MISSING");
  });

  it("answers 401 BASIC_AUTH_INVALID for a wrong password or an unknown user, checking a hash either way", async () => {
    const checked: string[] = [];
    const policy = await load({ users: USERS }, checked);
    expect(rejected(policy, { headers: { authorization: basic("alice:wrong") } }).code).toBe("BASIC_AUTH_INVALID");
    expect(rejected(policy, { headers: { authorization: basic("mallory:wonderland") } }).code).toBe("BASIC_AUTH_INVALID");
    expect(checked).toHaveLength(2);
  });

  it("answers 401 BASIC_AUTH_MALFORMED, never a trap, for bad base64, no colon, huge values and odd bytes", async () => {
    const policy = await load();
    const malformed = ["Basic !!!!", "Basic YWxpY2U", "Basic YQ==YQ==", "Basic YR==", basic("alice"), `Basic ${"A".repeat(10_000)}`];
    for (const authorization of malformed) {
      expect(rejected(policy, { headers: { authorization } }), authorization.slice(0, 20)).toMatchObject({ status: 401, code: "BASIC_AUTH_MALFORMED" });
    }
    const invalidUtf8 = `Basic ${Buffer.from([0xff, 0xfe, 0x3a, 0xc3]).toString("base64")}`;
    expect(rejected(policy, { headers: { authorization: invalidUtf8 } }).code).toBe("BASIC_AUTH_MALFORMED");
  });

  it("reads users from an htpasswd file", async () => {
    const policy = await loadPolicy(wasmPath, { init: false, capabilities: passwordCrypto([]) });
    policy.fakes.files.set("users.htpasswd", new TextEncoder().encode(`# staff\n\nbob:${sha1Hash("builder")}\n`));
    expect(policy.init({ htpasswdFile: "users.htpasswd" })).toEqual({ tag: "ok", val: undefined });
    expect(policy.onRequest({ headers: { authorization: basic("bob:builder") } })).toMatchObject({ tag: "ok", val: { tag: "continue" } });
  });

  it("refuses unreadable files, unsupported hashes, malformed lines and duplicate users at init", async () => {
    const cases: Array<[Record<string, unknown>, string, Record<string, string>]> = [
      [{ htpasswdFile: "missing.htpasswd" }, "unsupported", {}],
      [{ users: [{ username: "x", hash: "plaintext" }] }, "/users/0/hash", {}],
      [{ users: [USERS[1], USERS[1]] }, "/users/1/hash", {}],
      [{ htpasswdFile: "bad" }, "/htpasswdFile", { bad: "no-colon-here\n" }],
    ];
    for (const [config, where, files] of cases) {
      const policy = await loadPolicy(wasmPath, { init: false, capabilities: passwordCrypto([]) });
      for (const [name, text] of Object.entries(files)) policy.fakes.files.set(name, new TextEncoder().encode(text));
      const result = policy.init(config);
      expect(result.tag, JSON.stringify(config)).toBe("err");
      if (where === "unsupported") expect(result).toMatchObject({ val: { tag: "unsupported" } });
      else expect(result).toMatchObject({ val: { tag: "invalid-value", val: { path: where } } });
    }
  });
});
