// PEM armour: find a labelled block, and write one the way OpenSSL/cryptography do (64-char lines).

import { base64Decode, base64Encode } from './bytes.ts';

export interface PemBlock {
  label: string;
  der: Uint8Array;
}

/** Every PEM block in the text, in order. */
export function pemBlocks(text: string): PemBlock[] {
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  const out: PemBlock[] = [];
  for (const m of text.matchAll(re)) {
    const body = m[2]!;
    // Legacy encrypted PEMs carry "Proc-Type:" headers inside the block.
    const label = /Proc-Type:\s*4,ENCRYPTED/.test(body) ? `ENCRYPTED ${m[1]!}` : m[1]!;
    const lines = body.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.includes(':'));
    out.push({ label, der: base64Decode(lines.join('')) });
  }
  return out;
}

export function pemEncode(label: string, der: Uint8Array): string {
  const b64 = base64Encode(der);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
