/**
 * IEEE 802.3 CRC-32 (reflected polynomial 0xEDB88320, as zlib and Zephyr's crc32_ieee_update in
 * lib/crc/crc32_sw.c): `crc32Update(0, data)` is the checksum of `data`, and feeding the result
 * back in continues it over more data. Pure: runs in Node and browsers.
 */
const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32Update(crc: number, data: Uint8Array): number {
  let c = ~crc >>> 0;
  for (const byte of data) c = (TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

export function crc32(data: Uint8Array): number {
  return crc32Update(0, data);
}
