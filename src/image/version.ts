// Image version (struct image_version) parsing and printing.

export interface ImageVersion {
  major: number;
  minor: number;
  revision: number;
  build: number;
}

// imgtool's grammar: maj[.min[.rev[+build]]], decimal without leading zeros.
const VERSION_RE = /^(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:\+(0|[1-9]\d*))?)?)?$/;

const LIMITS: ReadonlyArray<[keyof ImageVersion, number]> = [
  ['major', 0xff],
  ['minor', 0xff],
  ['revision', 0xffff],
  ['build', 0xffffffff],
];

/** Parse "1.2.3+4" the way imgtool does; missing parts are 0. Throws RangeError on bad text. */
export function parseVersion(text: string): ImageVersion {
  const m = VERSION_RE.exec(text.trim());
  if (!m) {
    throw new RangeError(`invalid version '${text}': expected maj[.min[.rev[+build]]], e.g. 1.2.3+4`);
  }
  const v: ImageVersion = {
    major: Number(m[1]),
    minor: Number(m[2] ?? 0),
    revision: Number(m[3] ?? 0),
    build: Number(m[4] ?? 0),
  };
  checkVersion(v);
  return v;
}

export function checkVersion(v: ImageVersion): void {
  for (const [field, max] of LIMITS) {
    const n = v[field];
    if (!Number.isInteger(n) || n < 0 || n > max) {
      throw new RangeError(`version ${field} ${n} is out of range 0..${max}`);
    }
  }
}

/**
 * "1.2.3", plus ".build" when build != 0 — how Zephyr's SMP server and mcumgr print versions.
 * With style 'imgtool': "1.2.3+4" (always with the build number), as imgtool verify prints.
 */
export function formatVersion(v: ImageVersion, style: 'mcumgr' | 'imgtool' = 'mcumgr'): string {
  const base = `${v.major}.${v.minor}.${v.revision}`;
  if (style === 'imgtool') return `${base}+${v.build}`;
  return v.build !== 0 ? `${base}.${v.build}` : base;
}

/** -1, 0, 1 comparing major, minor, revision and (if asked, as MCUBOOT_VERSION_CMP_USE_BUILD_NUMBER) build. */
export function compareVersions(a: ImageVersion, b: ImageVersion, useBuild = false): number {
  const fields: Array<keyof ImageVersion> = ['major', 'minor', 'revision'];
  if (useBuild) fields.push('build');
  for (const f of fields) {
    if (a[f] !== b[f]) return a[f] < b[f] ? -1 : 1;
  }
  return 0;
}
