import { z } from "zod";
import { gatewayConfigSchema } from "./schema.js";

/** The JSON Schema published as config/schema.json, for editors (yaml-language-server) to complete and check. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(gatewayConfigSchema, { io: "input", target: "draft-2020-12", unrepresentable: "any" });
  return { ...schema, $id: "https://portcullis.dev/schema/gateway.json", title: "Portcullis gateway configuration" };
}

export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
