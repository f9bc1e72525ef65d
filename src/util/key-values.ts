/**
 * Option texts of the form `a=1,b=2%` (zdfu sim's --link, the fleet's --fault): the pairs in
 * order, blanks around them and empty parts dropped, a key given twice refused. Pure module.
 */

/** `key=value` parts of `text`; a part without `=` has the value "". Throws `duplicate(key)`. */
export function keyValueList(text: string, duplicate: (key: string) => Error): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq).trim();
    const value = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (seen.has(key)) throw duplicate(key);
    seen.add(key);
    pairs.push([key, value]);
  }
  return pairs;
}
