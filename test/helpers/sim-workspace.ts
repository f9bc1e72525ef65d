/** A temp folder (ZDFU_HOME, files) and at most one in-process sim per test, both gone after it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach } from 'vitest';
import type { SimHandle } from '../../src/device/io/sim-host.ts';
import { ensureBlinkyFirmware } from '../device/server/fixtures.ts';

export interface SimWorkspace {
  /** This test's temp folder. */
  dir: string;
  /** The sim the test started, if any; closed after the test. */
  sim: SimHandle | undefined;
}

/** Registers the hooks in the calling test file; the returned workspace is fresh for each test. */
export function useSimWorkspace(prefix: string): SimWorkspace {
  const ws: SimWorkspace = { dir: '', sim: undefined };
  beforeAll(async () => {
    await ensureBlinkyFirmware();
  }, 120_000);
  beforeEach(() => {
    ws.dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    await ws.sim?.close();
    ws.sim = undefined;
    rmSync(ws.dir, { recursive: true, force: true });
  });
  return ws;
}
