/**
 * The console text the page shows: chunks as they arrive (a line may come in pieces), kept to the
 * last `maxChars` characters, cut at a line start so the first line shown is whole. Pure.
 */
export class ConsoleBuffer {
  private text = '';
  /** A CR that ended the last chunk: the LF of its CR LF may start the next one. */
  private pendingCr = false;

  constructor(readonly maxChars = 64 * 1024) {}

  append(chunk: string): void {
    // Serial consoles end lines with CR LF, and a chunk may end between the two.
    let piece = this.pendingCr ? `\r${chunk}` : chunk;
    this.pendingCr = piece.endsWith('\r');
    if (this.pendingCr) piece = piece.slice(0, -1);
    this.text += piece.replace(/\r\n?/g, '\n');
    if (this.text.length > this.maxChars) {
      const cut = this.text.length - this.maxChars;
      const nextLine = this.text.indexOf('\n', cut);
      this.text = nextLine >= 0 ? this.text.slice(nextLine + 1) : this.text.slice(cut);
    }
  }

  clear(): void {
    this.text = '';
    this.pendingCr = false;
  }

  toString(): string {
    return this.text;
  }
}
