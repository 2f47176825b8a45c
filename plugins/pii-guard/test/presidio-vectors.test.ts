// Presidio's recognizer test vectors (MIT), extracted outside the repository: run when the file is there.
// Set PORTCULLIS_PII_VECTORS to its path; by default it is looked for at ../shared/pii-vectors/ beside the
// checkout. The repository's own cases of the same classes are in own-vectors.test.ts and always run.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { describeFailure, judge, maskedPositions, maskingPolicies, score, type Vector } from "./vector-score.js";

const vectorsPath = process.env.PORTCULLIS_PII_VECTORS ?? fileURLToPath(new URL("../../../../shared/pii-vectors/presidio-vectors.json", import.meta.url));
const present = existsSync(vectorsPath);
if (!present) process.stderr.write(`SKIPPED pii-guard on Presidio's vectors: ${vectorsPath} not found (set PORTCULLIS_PII_VECTORS to the file)\n`);

describe.skipIf(!present)("pii-guard on Presidio's recognizer vectors", () => {
  it("finds at least 97% of the spans of the vectors not marked debatable, and nothing else", async () => {
    const vectors = (JSON.parse(readFileSync(vectorsPath, "utf8")) as { vectors: Vector[] }).vectors.filter((v) => v.scored !== false);
    const { one } = await maskingPolicies();
    const results = vectors.map((v) => judge(v, maskedPositions(one.get(v.kind)!, v.text)));
    const scored = score(results.filter((r) => !r.vector.debatable));
    const debatable = score(results.filter((r) => r.vector.debatable));
    process.stdout.write(
      `pii-guard on ${vectors.length} Presidio vectors: recall ${scored.recall.toFixed(3)} (${scored.found}/${scored.expected}), precision ${scored.precision.toFixed(3)};` +
        ` debatable ones (not scored): ${debatable.found}/${debatable.expected} found\n` +
        scored.failures.map(describeFailure).join("\n") +
        "\n",
    );
    expect(scored.recall).toBeGreaterThanOrEqual(0.97);
    expect(scored.precision).toBe(1);
  });
});
