// Query strings as `application/x-www-form-urlencoded`: values decoded (the SDK's `formDecode`) for
// scanning, masked values encoded back; other pairs keep their exact original text.
import { formDecode } from "@portcullis/sdk";

export class QueryParameter {
  constructor(
    /** The name as sent (still encoded) and decoded. */
    public readonly rawName: string,
    public readonly name: string,
    public readonly value: string,
    /** The `name=value` text to send on; replaced when the value is masked. */
    public text: string,
  ) {}
}

/** Every `&`-separated pair, empty ones included, so that `formatQuery` gives back the same text. */
export function parseQuery(query: string): Array<QueryParameter> {
  const parameters = new Array<QueryParameter>();
  if (query.length == 0) return parameters;
  const pairs = query.split("&");
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i];
    const equals = pair.indexOf("=");
    const name = equals < 0 ? pair : pair.substring(0, equals);
    const value = equals < 0 ? "" : pair.substring(equals + 1);
    parameters.push(new QueryParameter(name, formDecode(name), formDecode(value), pair));
  }
  return parameters;
}

export function formatQuery(parameters: Array<QueryParameter>): string {
  const pairs = new Array<string>();
  for (let i = 0; i < parameters.length; i++) pairs.push(parameters[i].text);
  return pairs.join("&");
}
