#!/usr/bin/env node
// The CLI is bundled into dist/ by `npm install` (prepare) or `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/zdfu.mjs', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write('zdfu: the CLI is not built yet; run `npm run build` in the zdfu checkout.\n');
  process.exit(2);
}
await import(bundle);
