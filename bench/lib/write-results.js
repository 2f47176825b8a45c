// Where a run's figures go: bench/results/<date>[-suffix].json (all samples), and for a full run
// the tables in docs/benchmarks.md between its two markers (the prose around them is kept).
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { markdownReport } from "./report.js";

const RESULTS_DIR = new URL("../results/", import.meta.url);
const DOCS_FILE = fileURLToPath(new URL("../../docs/benchmarks.md", import.meta.url));
const START = "<!-- bench:results:start (written by npm run bench) -->";
const END = "<!-- bench:results:end -->";

/** Write-then-rename, so an interrupted run never leaves half a file. */
function writeAtomically(path, text) {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/** Resolves to the paths written. */
export async function writeResults(results, { suffix, updateDocs = false }) {
  const day = results.date.slice(0, 10);
  const name = `${day}${suffix ? `-${suffix}` : ""}.json`;
  const resultsPath = fileURLToPath(new URL(name, RESULTS_DIR));
  writeAtomically(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  const written = [resultsPath];
  if (updateDocs) {
    const section = `${START}\n${markdownReport(results, `bench/results/${name}`)}\n${END}`;
    const current = existsSync(DOCS_FILE) ? readFileSync(DOCS_FILE, "utf8") : `# Benchmarks\n\n${START}\n${END}\n`;
    const from = current.indexOf(START);
    const to = current.indexOf(END);
    if (from < 0 || to < from) throw new Error(`${DOCS_FILE} lost its bench:results markers; put them back to update it`);
    writeAtomically(DOCS_FILE, `${current.slice(0, from)}${section}${current.slice(to + END.length)}`);
    written.push(DOCS_FILE);
  }
  return written;
}
