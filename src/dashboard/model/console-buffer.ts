/**
 * The console text the page shows: chunks as they arrive (a line may come in pieces), kept to the
 * last `maxChars` characters, cut at a line start so the first line shown is whole. Pure.
 */
export class ConsoleBuffer {
  private text = '';

  constructor(readonly maxChars = 64 * 1024) {}

  append(chunk: string): void {
    // Serial consoles end lines with CR LF; a lone CR would overwrite the line in a terminal.
    this.text += chunk.replace(/\r\n?/g, '\n');
    if (this.text.length > this.maxChars) {
      const cut = this.text.length - this.maxChars;
      const nextLine = this.text.indexOf('\n', cut);
      this.text = nextLine >= 0 ? this.text.slice(nextLine + 1) : this.text.slice(cut);
    }
  }

  clear(): void {
    this.text = '';
  }

  toString(): string {
    return this.text;
  }
}
