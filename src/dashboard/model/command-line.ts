/**
 * Splits a shell command line typed in the page into argv, as a POSIX shell would for plain
 * words: whitespace separates, single or double quotes keep spaces, a backslash escapes the next
 * character outside single quotes. An unclosed quote is an error naming its column. Pure.
 */
export class CommandLineError extends Error {
  override readonly name = 'CommandLineError';
}

export function splitCommandLine(line: string): string[] {
  const argv: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  let quoteAt = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      quoteAt = i + 1;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) argv.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new CommandLineError(`the ${quote} quote at column ${quoteAt} is never closed`);
  if (inWord) argv.push(word);
  return argv;
}
