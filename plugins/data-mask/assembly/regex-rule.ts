// Operator patterns: masks the matches of an RE2 regular expression run by the host's `regex`
// capability (linear time, safe on response data), or one capturing group of each match.
import { Config, Regex, Utf8Offsets } from "@portcullis/sdk";
import { maskText, MaskStyle } from "./mask";

export class RegexRule {
  constructor(public regex: Regex, public group: i32) {}

  /** Reads `{ regex, group }`; null (the problem recorded) when the pattern or the group is bad. */
  static read(config: Config): RegexRule | null {
    const compiled = Regex.compile(config.requireString("regex"));
    if (!compiled.isOk) {
      config.invalid("regex", compiled.error);
      return null;
    }
    const group = <i32>config.optionalInteger("group", 0, 0, 99);
    if (config.problem.message != "") return null;
    if (compiled.regex!.checkReplacement("$" + group.toString()) !== null) {
      config.invalid("group", "the pattern has no group " + group.toString());
      return null;
    }
    return new RegexRule(compiled.regex!, group);
  }

  /**
   * `text` with every match (or its `group`) masked by `style`. A text the host refuses (above 1 MiB)
   * is masked whole: failing closed never shows what a pattern was meant to hide.
   */
  mask(text: string, style: MaskStyle): string {
    const found = this.regex.findAll(text);
    if (!found.isOk) return maskText(text, style);
    if (found.length == 0) return text;
    const offsets = new Utf8Offsets(text);
    const out = new Array<string>();
    let copied = 0;
    for (let i = 0; i < found.length; i++) {
      const match = found.matches[i];
      const span = this.group == 0 ? match.whole : match.groups[this.group - 1];
      if (span === null) continue;
      const start = offsets.charIndex(<i32>span.start);
      const end = offsets.charIndex(<i32>span.end);
      out.push(text.substring(copied, start));
      out.push(maskText(text.substring(start, end), style));
      copied = end;
    }
    out.push(text.substring(copied));
    return out.join("");
  }
}
