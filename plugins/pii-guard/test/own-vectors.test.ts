import { describe, expect, it } from "vitest";
import { OWN_VECTORS } from "./own-vectors.js";
import { outcome, text } from "./unit-helpers.js";
import { describeFailure, judge, maskedPositions, maskingPolicies, score } from "./vector-score.js";

describe("pii-guard on its own labelled vectors", () => {
  it("finds every span and nothing else, in text and JSON bodies, with the kind's detector alone and with all five on", async () => {
    const { one, all } = await maskingPolicies();
    for (const [label, policyOf] of [
      ["alone", (v: (typeof OWN_VECTORS)[number]) => one.get(v.kind)!],
      ["all on", () => all],
    ] as const) {
      // As a text body, and as a JSON string value (which first passes the walk's filter of values that cannot hold a finding).
      for (const as of ["text", "json"] as const) {
        const result = score(OWN_VECTORS.map((v) => judge(v, maskedPositions(policyOf(v), v.text, as))));
        expect(result.failures.map(describeFailure), `${label}, ${as}`).toEqual([]);
        expect(result.found, `${label}, ${as}`).toBe(24);
      }
    }
  });

  it("reports an IBAN holding card-like digits as an IBAN only, and nothing for an IBAN-shaped token with bad check digits", async () => {
    const { all } = await maskingPolicies();
    const kinds = (body: string) => outcome(all.onRequest(text(body))).kinds;
    expect(kinds("AT70 4111 1111 1111 1111")).toEqual(["iban"]);
    expect(kinds("AT00 4111 1111 1111 1111")).toEqual([]);
    expect(kinds("4111 1111 1111 1111")).toEqual(["card"]);
  });
});
