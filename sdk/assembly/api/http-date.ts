// HTTP-date (RFC 9110 section 5.6.7) in its preferred form, IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
// The obsolete RFC 850 and asctime forms are not accepted: a cache treats an unparsable date as invalid,
// which for `Expires` means "already expired", the safe reading.

const DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS_IN_MONTH: Array<i32> = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** HTTP dates (IMF-fixdate, RFC 9110 section 5.6.7) as milliseconds since the epoch. */
export class HttpDate {
  /** Milliseconds since the Unix epoch of an IMF-fixdate, or -1 when `text` is not one. */
  static parse(text: string): i64 {
    if (text.length != 29 || text.charAt(3) != "," || !text.endsWith(" GMT")) return -1;
    if (!DAY_NAMES.includes(text.substring(0, 3))) return -1;
    if (text.charAt(4) != " " || text.charAt(7) != " " || text.charAt(11) != " " || text.charAt(16) != " ") return -1;
    if (text.charAt(19) != ":" || text.charAt(22) != ":") return -1;
    const day = digits(text, 5, 2);
    const month = MONTH_NAMES.indexOf(text.substring(8, 11)) + 1;
    const year = digits(text, 12, 4);
    const hour = digits(text, 17, 2);
    const minute = digits(text, 20, 2);
    const second = digits(text, 23, 2);
    if (day < 1 || month < 1 || year < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return -1;
    if (day > DAYS_IN_MONTH[month - 1]) return -1;
    const seconds = daysSinceEpoch(year, month, day) * 86_400 + <i64>(hour * 3600 + minute * 60 + second);
    return seconds * 1000;
  }
}

/** The number written by `count` ASCII digits at `start`, or -1. */
function digits(text: string, start: i32, count: i32): i32 {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    value = value * 10 + (c - 0x30);
  }
  return value;
}

/** Days from 1970-01-01 to the given proleptic Gregorian date (years counted from March, so leap days fall last). */
function daysSinceEpoch(year: i32, month: i32, day: i32): i64 {
  const y = <i64>(month <= 2 ? year - 1 : year);
  const era = (y >= 0 ? y : y - 399) / 400;
  const yearOfEra = y - era * 400;
  const monthFromMarch = <i64>(month > 2 ? month - 3 : month + 9);
  const dayOfYear = (153 * monthFromMarch + 2) / 5 + <i64>day - 1;
  const dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}
