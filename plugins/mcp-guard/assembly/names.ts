/** What an MCP request names: a tool (tools/call), a resource (resources/*) or a prompt (prompts/get). */
export enum Kind {
  None,
  Tool,
  Resource,
  Prompt,
}

/**
 * A list of names from the configuration: exact names, `prefix*` patterns, or `*` for any.
 * Resource URIs are matched the same way (`file:///public/*`).
 */
export class NameList {
  exact: Set<string> = new Set<string>();
  prefixes: Array<string> = [];
  any: bool = false;

  constructor(names: Array<string>) {
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      if (name == "*") this.any = true;
      else if (name.endsWith("*")) this.prefixes.push(name.substring(0, name.length - 1));
      else this.exact.add(name);
    }
  }

  matches(name: string): bool {
    if (this.any || this.exact.has(name)) return true;
    for (let i = 0; i < this.prefixes.length; i++) if (name.startsWith(this.prefixes[i])) return true;
    return false;
  }
}
