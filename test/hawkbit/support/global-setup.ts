/**
 * The fleet suite's one hawkBit per run (vitest.fleet.config.ts): started before the first test
 * file, handed to every file through ZDFU_HAWKBIT_SHARED (startHawkbit() attaches to it), stopped
 * after the last. A start costs 10–35 s on two busy cores, so one per file would double the suite.
 */
import { SHARED_HAWKBIT_ENV, type SharedHawkbit, startHawkbit } from './hawkbit.ts';

export default async function setup(): Promise<() => Promise<void>> {
  const started = Date.now();
  const server = await startHawkbit({ fresh: true });
  const shared: SharedHawkbit = {
    url: server.url,
    user: server.user,
    password: server.password,
    gatewayToken: server.gatewayToken,
    javaPid: server.javaPid ?? 0,
    logFile: server.logFile,
  };
  process.env[SHARED_HAWKBIT_ENV] = JSON.stringify(shared);
  const usage = server.usage();
  const rss = usage ? `, ${(usage.rssBytes / 2 ** 20).toFixed(0)} MiB RSS` : '';
  process.stdout.write(
    `hawkBit ready at ${server.url} in ${((Date.now() - started) / 1000).toFixed(1)} s${rss} (log: ${server.logFile})\n`,
  );
  return async () => {
    const end = server.usage();
    if (end)
      process.stdout.write(
        `hawkBit at the end of the suite: ${(end.rssBytes / 2 ** 20).toFixed(0)} MiB RSS, ${(end.cpuMs / 1000).toFixed(1)} s CPU\n`,
      );
    delete process.env[SHARED_HAWKBIT_ENV];
    await server.stop();
  };
}
