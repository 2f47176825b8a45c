// The repository's own labelled cases, written by hand for each class of miss found on Presidio's vectors
// (which live outside the repository): a card followed by other digits, phone shapes with parentheses,
// without a space or with a country code, punycode and internationalised e-mail domains, separators in
// IBANs, and IBAN-shaped tokens that hold card-like digits. `at` marks each span with [[ ]] in the text.
import { LOOK_ALIKES } from "./look-alikes.js";
import type { Kind, Vector } from "./vector-score.js";

/** A vector from a text whose spans are written `[[like this]]`. */
function at(id: string, kind: Kind, marked: string): Vector {
  const spans: Array<[number, number]> = [];
  let text = "";
  for (const [i, part] of marked.split(/\[\[|\]\]/).entries()) {
    if (i % 2 === 1) spans.push([text.length, text.length + part.length]);
    text += part;
  }
  return { id, kind, text, spans };
}

export const OWN_VECTORS: Vector[] = [
  // a card followed by a CVV, an expiry or another number
  at("card-cvv", "card", "card [[4111111111111111]] 123"),
  at("card-expiry", "card", "[[4111 1111 1111 1111]] 12/29"),
  at("card-dashed-cvv", "card", "[[5555-5555-5555-4444]] 737"),
  at("card-amex-expiry", "card", "amex [[378282246310005]] 0426 thanks"),
  at("card-then-card", "card", "[[4012888888881881]] [[4012-8888-8888-1881]]"),
  // phone shapes: parentheses without a space, a group in parentheses after the country code, mixed separators, a country code without "+"
  at("phone-parentheses-glued", "phone", "office: [[(212)555-0199]]"),
  at("phone-parentheses-space", "phone", "or [[(415)555 2671]]"),
  at("phone-international-parentheses", "phone", "London [[+44 (20) 7946 0958]]"),
  at("phone-trunk-prefix", "phone", "London [[+44 (0)20 7946 0958]]"),
  at("phone-mixed-separators", "phone", "cell [[+1 415-555-2671]]"),
  at("phone-country-code-dashes", "phone", "India [[91-415-555-2671]]"),
  at("phone-toll-free", "phone", "call [[1-800-555-0199]]"),
  at("phone-then-note", "phone", "[[+33 1 42 68 53 00]] (office)"),
  // punycode and internationalised domains
  at("email-punycode-tld", "email", "write [[kontakt@xn--80akhbyknj4f.xn--p1ai]]"),
  at("email-punycode-label", "email", "[[info@xn--mller-kva.de]]"),
  at("email-idn", "email", "[[ivan@пример.рф]] or [[jürgen@bücher.de]]"),
  // separators in IBANs
  at("iban-dashes", "iban", "pay [[DE89-3704-0044-0532-0130-00]]"),
  at("iban-dashes-letters", "iban", "[[GB29-NWBK-6016-1331-9268-19]]."),
  // an IBAN-shaped token holding a valid card number: the IBAN, never the card
  at("iban-holding-card", "iban", "[[AT70 4111 1111 1111 1111]]"),
  at("iban-shaped-bad-check", "iban", "AT00 4111 1111 1111 1111"),
  at("iban-slashes", "iban", "DE89/3704/0044/0532/0130/00"),
  at("email-bad-punycode", "email", "a@b.xn--"),
  at("phone-separators-changing", "phone", "+1 415-555.2671"),
  // the shortest of their kind (a JSON value shorter than these, with no "@", is not scanned)
  at("phone-shortest", "phone", "[[+12345678]]"),
  at("email-shortest", "email", "[[a@b.co]]"),
  at("iban-shortest", "iban", "[[NO9386011117947]]"),
  // the look-alikes, under every detector
  ...LOOK_ALIKES.map((text, i) => ({ id: `look-alike-${i}`, kind: "ssn" as const, text, spans: [] })),
];
