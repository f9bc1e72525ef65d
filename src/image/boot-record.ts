// BOOT_RECORD TLV payload (imgtool boot_record.py): a small CBOR map for measured boot.
// Hand-encoded because the map shape is fixed and the core must stay dependency-free.

import { concatBytes } from './bytes.ts';

/** Longest sw_type imgtool accepts. */
export const MAX_SW_TYPE_LENGTH = 12;

function cborHead(major: number, length: number): Uint8Array {
  if (length < 24) return Uint8Array.of((major << 5) | length);
  if (length < 0x100) return Uint8Array.of((major << 5) | 24, length);
  return Uint8Array.of((major << 5) | 25, length >> 8, length & 0xff);
}

function cborText(text: string): Uint8Array {
  const utf8 = new TextEncoder().encode(text);
  return concatBytes([cborHead(3, utf8.length), utf8]);
}

function cborBytes(bytes: Uint8Array): Uint8Array {
  return concatBytes([cborHead(2, bytes.length), bytes]);
}

/**
 * Keys follow PSA attestation SW component ids: 1 type, 4 version, 5 signer id,
 * 6 measurement description, 2 measurement value — last, as the bootloader patches it in place.
 */
export function encodeBootRecord(fields: {
  swType: string;
  /** "maj.min.rev" */
  version: string;
  signerId: Uint8Array;
  /** Hash TLV name, e.g. "SHA256". */
  measurementDescription: string;
  /** Placeholder measurement (all zeros, digest length). */
  measurementValue: Uint8Array;
}): Uint8Array {
  return concatBytes([
    cborHead(5, 5),
    Uint8Array.of(1),
    cborText(fields.swType),
    Uint8Array.of(4),
    cborText(fields.version),
    Uint8Array.of(5),
    cborBytes(fields.signerId),
    Uint8Array.of(6),
    cborText(fields.measurementDescription),
    Uint8Array.of(2),
    cborBytes(fields.measurementValue),
  ]);
}
