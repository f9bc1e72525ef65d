import { fileURLToPath } from 'node:url';
import { bundleFirmwareApp, type FirmwareVariant } from '../../firmware/build.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function bundle(variant: FirmwareVariant): Promise<string> {
  return bundleFirmwareApp(ROOT, variant);
}

export function fixture(name: string): FirmwareVariant {
  return { name, title: name, version: '0.0.0', entry: `test/firmware/fixtures/${name}.ts`, kconfig: {} };
}

export async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
