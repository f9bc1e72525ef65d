/**
 * littlefs's CRC-32 (lfs_util.c lfs_crc): polynomial 0x04c11db7 in its reflected form, seeded by
 * the caller (0xffffffff at the start of a commit) and, unlike zlib's crc32, never inverted at the
 * end. A commit's CRC over its own stored CRC therefore comes out 0.
 */

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** Continue a littlefs CRC over `data[start, end)`. */
export function lfsCrc(crc: number, data: Uint8Array, start = 0, end = data.length): number {
  let c = crc >>> 0;
  for (let i = start; i < end; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}
