import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import type { GatewayConfig } from "../config/schema.js";
import { closestMatch, unknownPropertyHint } from "../config/suggest.js";
import { compileExpression } from "../capabilities/expression/cel.js";
import type { PolicyListsConfig } from "./config-schema.js";
import type { LoadedPlugin } from "./plugin-loader.js";
import { configSchemaProblem } from "./plugin-schema-check.js";

export interface PlanIssue {
  path: Array<string | number>;
  message: string;
}

const FLOWS = ["request", "response", "fault"] as const;

/**
 * Hot reload (host/src/reload): a plugin reused as loaded keeps its descriptor object, so its configuration
 * schema is compiled once, not at every reload (compiling was most of a policy-changing reload's check).
 */
const compiledSchemas = new WeakMap<object, ValidateFunction>();

/**
 * Checks every policy entry against the plugin it names, once the plugins have loaded: the
 * plugin exists and handles that flow, `with:` matches the schema the plugin describes, and
 * `when:` is valid CEL.
 */
export function validatePlan(config: GatewayConfig, plugins: Map<string, LoadedPlugin>): PlanIssue[] {
  const issues: PlanIssue[] = [];
  // verbose: the parent schema, for "did you mean". Schemas are checked against the meta-schema by configSchemaProblem.
  let ajv: Ajv2020 | undefined;
  const validators = new Map<string, ValidateFunction | undefined>();
  const validatorOf = (name: string, plugin: LoadedPlugin): ValidateFunction | undefined => {
    const compiled = compiledSchemas.get(plugin.descriptor);
    if (compiled) validators.set(name, compiled);
    if (!validators.has(name)) {
      try {
        const schema = JSON.parse(plugin.descriptor.configSchema) as object;
        const problem = plugin.cached ? undefined : configSchemaProblem(schema); // a cached plugin's schema was checked before caching
        if (problem) throw new Error(problem);
        ajv ??= new Ajv2020({ allErrors: true, strict: false, validateFormats: false, verbose: true, validateSchema: false });
        const validate = ajv.compile(schema);
        compiledSchemas.set(plugin.descriptor, validate);
        validators.set(name, validate);
      } catch (error) {
        issues.push({ path: ["plugins", name], message: `plugin "${name}" describes an invalid configuration schema: ${(error as Error).message}` });
        validators.set(name, undefined);
      }
    }
    return validators.get(name);
  };

  const checkLists = (lists: PolicyListsConfig | undefined, at: Array<string | number>): void => {
    if (!lists) return;
    for (const flow of FLOWS) {
      lists[flow].forEach((entry, index) => {
        const path = [...at, "policies", flow, index];
        const plugin = plugins.get(entry.plugin);
        if (!plugin) {
          const suggestion = closestMatch(entry.plugin, plugins.keys());
          const hint = suggestion
            ? ` (did you mean "${suggestion}"?)`
            : plugins.size
              ? ` (declared: ${[...plugins.keys()].join(", ")})`
              : " (the plugins table is empty)";
          issues.push({ path: [...path, "plugin"], message: `unknown plugin "${entry.plugin}"${hint}` });
          return;
        }
        if (!plugin.descriptor.flows.includes(flow)) {
          issues.push({
            path: [...path, "plugin"],
            message: `plugin "${entry.plugin}" does not handle the ${flow} flow (it handles: ${plugin.descriptor.flows.join(", ") || "none"})`,
          });
        }
        const validate = validatorOf(entry.plugin, plugin);
        if (validate && !validate(entry.with ?? {})) {
          for (const error of validate.errors ?? []) {
            const segments = error.instancePath
              .split("/")
              .slice(1)
              .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, "/").replace(/~0/g, "~")));
            const extra = error.keyword === "additionalProperties" ? unknownPropertyHint(error) : "";
            issues.push({ path: [...path, "with", ...segments], message: `${error.message ?? "is invalid"}${extra} (schema of plugin "${entry.plugin}")` });
          }
        }
        if (entry.when !== undefined) {
          const compiled = compileExpression(entry.when);
          if (compiled.tag === "err") issues.push({ path: [...path, "when"], message: `invalid CEL condition: ${compiled.val.val}` });
        }
      });
    }
  };

  config.listeners.forEach((listener, li) => {
    const at = ["listeners", li];
    checkLists(listener.policies, at);
    listener.routes.forEach((route, ri) => {
      const routeAt = [...at, "routes", ri];
      checkLists(route.policies, routeAt);
      checkLists(route.backend.policies, [...routeAt, "backend"]);
      for (const [method, operation] of Object.entries(route.operations ?? {})) {
        checkLists(operation?.policies, [...routeAt, "operations", method]);
        checkLists(operation?.backend?.policies, [...routeAt, "operations", method, "backend"]);
      }
    });
  });
  return issues;
}
