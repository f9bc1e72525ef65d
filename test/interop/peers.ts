/** Where the interop suites find the real peer tools that scripts/interop/setup.sh installed. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const venvBin = join(root, '.cache', 'peers', 'venv', 'bin');

/** Path of a peer executable; throws a clear message when the setup script has not run. */
export function peerTool(name: 'imgtool' | 'smpmgr' | 'python'): string {
  const path = join(venvBin, name);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run scripts/interop/setup.sh first (npm run test:interop does)`);
  }
  return path;
}
