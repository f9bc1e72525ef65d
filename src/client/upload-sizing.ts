/**
 * How many data bytes one image-upload request (Zephyr img_mgmt.c, group 1 command 1) can carry
 * so that the ENCODED request (8-byte SMP header + CBOR map) fits the link and the device's
 * reassembly buffer: the image upload's field set over the transfer engine's CBOR arithmetic
 * (./transfer/sizing.ts), and the link limits every transfer shares (./transfer/link.ts).
 * Pure: no Node imports.
 */
import { dataThatFits, overheadOf, type SizedField, sizeWithData } from './transfer/sizing.ts';

export { deviceRequestLimit, requestLimit } from './transfer/limits.ts';
export { cborHeadSize, SMP_HEADER_SIZE } from './transfer/sizing.ts';

/** Zephyr rejects a first chunk shorter than the MCUboot header (err 22). */
export const MIN_FIRST_CHUNK = 32;

export interface ChunkFields {
  readonly off: number;
  /** Only on the first chunk (off = 0). */
  readonly first?: {
    readonly len: number;
    readonly shaLength: number;
    readonly image: number;
    readonly upgrade: boolean;
  };
}

/** The image upload request's fields other than data. */
export function imageUploadFields(fields: ChunkFields): SizedField[] {
  const out: SizedField[] = [{ key: 'off', kind: 'uint', value: fields.off }];
  const first = fields.first;
  if (first !== undefined) {
    out.push(
      { key: 'image', kind: 'uint', value: first.image },
      { key: 'len', kind: 'uint', value: first.len },
    );
    if (first.shaLength > 0) out.push({ key: 'sha', kind: 'bytes', length: first.shaLength });
    if (first.upgrade) out.push({ key: 'upgrade', kind: 'bool' });
  }
  return out;
}

/** Encoded size of everything in the request except the `data` field. */
export function requestOverhead(fields: ChunkFields): number {
  return overheadOf(imageUploadFields(fields));
}

/** Encoded size of one whole upload request with `dataLength` bytes of data. */
export function requestSize(fields: ChunkFields, dataLength: number): number {
  return sizeWithData(imageUploadFields(fields), dataLength);
}

/** Largest data length whose request is at most `limit` bytes (0 if none fits). */
export function maxChunkData(fields: ChunkFields, limit: number): number {
  return dataThatFits(imageUploadFields(fields), limit);
}
