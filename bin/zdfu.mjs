#!/usr/bin/env node
// The CLI is bundled into dist/ by `npm install` (prepare) or `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/zdfu.mjs', import.meta.url));
if (!existsSync(bundle)) {
  // A local problem (exit 1 in zdfu's scheme): the checkout has not been built.
  const message = `The zdfu CLI is not built (${bundle} is missing); run \`npm run build\` (or \`npm install\`, which builds it) in the zdfu checkout.`;
  process.stderr.write(`Error: ${message}\n`);
  const args = process.argv.slice(2);
  const end = args.indexOf('--');
  if ((end < 0 ? args : args.slice(0, end)).includes('--json')) {
    process.stdout.write(`${JSON.stringify({ error: { message, exitCode: 1, fault: 'local' } }, null, 2)}\n`);
  }
  process.exit(1);
}
await import(bundle);
