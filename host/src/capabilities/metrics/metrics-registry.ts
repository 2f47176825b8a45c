import type { Label } from "../contract.js";

export type MetricKind = "counter" | "gauge" | "histogram";

export interface MetricSample {
  kind: MetricKind;
  name: string;
  labels: Label[];
  value: number;
}

interface HistogramState {
  buckets: number[];
  sum: number;
  count: number;
}

interface Family {
  kind: MetricKind;
  /** Label text `{a="1",b="2"}` -> value or histogram. */
  series: Map<string, number | HistogramState>;
}

export interface MetricsLimits {
  maxFamilies: number;
  maxSeriesPerFamily: number;
}

/** Upper bounds of histogram buckets; policies observe durations in milliseconds, sizes in bytes and the like. */
export const HISTOGRAM_BUCKETS = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** The gateway's own metrics (host/src/observability) are served beside these: policies cannot use their names. */
const RESERVED_PREFIX = "portcullis_";
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * In-process metrics registry of the main thread, fed by workers' fire-and-forget
 * samples. Bounded: samples that would create a family or series beyond the
 * limits, reuse a name with another kind or use a reserved name, are dropped and counted.
 */
export class MetricsRegistry {
  readonly #families = new Map<string, Family>();
  readonly #limits: MetricsLimits;
  #dropped = 0;

  constructor(limits: Partial<MetricsLimits> = {}) {
    this.#limits = { maxFamilies: limits.maxFamilies ?? 1000, maxSeriesPerFamily: limits.maxSeriesPerFamily ?? 1000 };
  }

  /** Samples dropped for a bad name, a kind conflict or a limit. */
  get dropped(): number {
    return this.#dropped;
  }

  record(sample: MetricSample): void {
    const { kind, name, value } = sample;
    if (!NAME.test(name) || name.startsWith(RESERVED_PREFIX) || !Number.isFinite(value) || (kind === "counter" && value < 0)) return this.#drop();
    if (!sample.labels.every((label) => LABEL_NAME.test(label.name) && !label.name.startsWith("__"))) return this.#drop();
    let family = this.#families.get(name);
    if (!family) {
      if (this.#families.size >= this.#limits.maxFamilies) return this.#drop();
      family = { kind, series: new Map() };
      this.#families.set(name, family);
    }
    if (family.kind !== kind) return this.#drop();
    const key = labelText(sample.labels);
    const existing = family.series.get(key);
    if (existing === undefined && family.series.size >= this.#limits.maxSeriesPerFamily) return this.#drop();
    if (kind === "counter") family.series.set(key, ((existing as number | undefined) ?? 0) + value);
    else if (kind === "gauge") family.series.set(key, value);
    else {
      const histogram = (existing as HistogramState | undefined) ?? { buckets: HISTOGRAM_BUCKETS.map(() => 0), sum: 0, count: 0 };
      HISTOGRAM_BUCKETS.forEach((bound, index) => {
        if (value <= bound) histogram.buckets[index]!++;
      });
      histogram.sum += value;
      histogram.count++;
      family.series.set(key, histogram);
    }
  }

  /** Prometheus text exposition format 0.0.4. */
  renderPrometheus(): string {
    const lines: string[] = [];
    for (const [name, family] of this.#families) {
      lines.push(`# TYPE ${name} ${family.kind}`);
      for (const [labels, value] of family.series) {
        if (typeof value === "number") {
          lines.push(`${name}${labels} ${formatNumber(value)}`);
          continue;
        }
        HISTOGRAM_BUCKETS.forEach((bound, index) => {
          lines.push(`${name}_bucket${withLabel(labels, "le", String(bound))} ${value.buckets[index]}`);
        });
        lines.push(`${name}_bucket${withLabel(labels, "le", "+Inf")} ${value.count}`);
        lines.push(`${name}_sum${labels} ${formatNumber(value.sum)}`);
        lines.push(`${name}_count${labels} ${value.count}`);
      }
    }
    return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
  }

  #drop(): void {
    this.#dropped++;
  }
}

/** Labels sorted by name so the same set always names the same series. */
function labelText(labels: Label[]): string {
  if (labels.length === 0) return "";
  const sorted = [...labels].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return `{${sorted.map((label) => `${label.name}="${escapeLabelValue(label.value)}"`).join(",")}}`;
}

function withLabel(labels: string, name: string, value: string): string {
  const extra = `${name}="${value}"`;
  return labels === "" ? `{${extra}}` : `${labels.slice(0, -1)},${extra}}`;
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? value.toString() : String(value);
}
