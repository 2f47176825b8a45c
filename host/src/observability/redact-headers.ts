import { REDACTED, redactString } from "../admin/secret-shapes.js";

/** Header names whose values are credentials whatever they look like. */
const SECRET_NAME =
  /^(?:authorization|proxy-authorization|cookie|set-cookie)$|(?:^|[-_])(?:api[-_]?key|token|secret|password|passwd|session|signature|credential)s?(?:$|[-_])/i;

/**
 * A header value as the debug view shows it: hidden when the name says it is a credential, otherwise
 * with any secret it carries (an Authorization-style value, URL credentials, a key) replaced.
 */
export function redactHeaderValue(name: string, value: string): string {
  return SECRET_NAME.test(name) ? REDACTED : redactString(value);
}
