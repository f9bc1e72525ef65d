/**
 * Upload speed of Binary Two (build/firmware/blinky-two) to one virtual board over its UDP link:
 * the zdfu CLI (dist/zdfu.mjs, its own `elapsedMs`), zdfu's client in-process straight on the
 * link, and the page-side WebSocket transport through `zdfu serve` (the ws package as the page's
 * WebSocket); plus the echo round trip both ways. Slot 1 is erased before each run, so every run
 * sends the whole image. Needs `npm run build`. Usage:
 *   node --import tsx scripts/serve/upload-speed.ts [RUNS]
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import { DeviceClient } from '../../src/client/device.ts';
import { startSim } from '../../src/device/io/sim-host.ts';
import { startServe } from '../../src/serve/server.ts';
import { packageRoot } from '../../src/serve/static-files.ts';
import type { Transport } from '../../src/transport/transport.ts';
import { UdpTransport } from '../../src/transport/udp.ts';
import { openServeTransport } from '../../src/transport/web/websocket.ts';

const runs = Number(process.argv[2] ?? 5);
const root = packageRoot();
const imageFile = join(root, 'build', 'firmware', 'blinky-two', 'zephyr.signed.bin');
const image = new Uint8Array(readFileSync(imageFile));
const sim = await startSim({ udp: '127.0.0.1:0', baud: 0, flashTimeScale: 0 });
const serve = await startServe({
  port: 0,
  sims: [sim],
  profiles: { list: () => [] },
  listPorts: async () => [],
});

async function measure(label: string, open: () => Promise<Transport>): Promise<number[]> {
  const speeds: number[] = [];
  const client = new DeviceClient(await open(), { timeoutMs: 5000, retries: 1 });
  try {
    for (let run = 0; run < runs; run++) {
      await client.imageErase(1).catch(() => undefined);
      const started = performance.now();
      const result = await client.imageUpload(image);
      const ms = performance.now() - started;
      speeds.push(image.length / 1024 / (ms / 1000));
      if (run === 0) {
        console.log(
          `${label}: ${result.requests} requests of up to ${result.requestLimit} bytes, window ${result.window}`,
        );
      }
    }
  } finally {
    await client.close();
  }
  return speeds;
}

const run = promisify(execFile);

/**
 * The CLI as a user runs it; its JSON says how long the upload itself took. Asynchronously: the
 * board runs in this process and must keep answering.
 */
async function measureCli(port: number): Promise<number[]> {
  const speeds: number[] = [];
  const zdfu = join(root, 'dist', 'zdfu.mjs');
  const conn = ['--conntype', 'udp', '--connstring', `127.0.0.1:${port}`];
  for (let i = 0; i < runs; i++) {
    await run(process.execPath, [zdfu, ...conn, 'image', 'erase', '1']);
    const { stdout: out } = await run(process.execPath, [
      zdfu,
      ...conn,
      '--json',
      'image',
      'upload',
      imageFile,
    ]);
    const { elapsedMs } = JSON.parse(out) as { elapsedMs: number };
    speeds.push(image.length / 1024 / (elapsedMs / 1000));
  }
  return speeds;
}

async function echoRtt(open: () => Promise<Transport>): Promise<number[]> {
  const client = new DeviceClient(await open(), { timeoutMs: 5000, retries: 0 });
  const times: number[] = [];
  try {
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      await client.echo('rtt');
      times.push(performance.now() - started);
    }
  } finally {
    await client.close();
  }
  return times;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function summary(speeds: number[]): string {
  return `median ${median(speeds).toFixed(0)} KiB/s over ${speeds.length} runs (min ${Math.min(...speeds).toFixed(0)}, max ${Math.max(...speeds).toFixed(0)})`;
}

try {
  const udp = sim.udp!;
  // Alternate, so a slower moment of the machine does not fall on one side only.
  const direct: number[] = [];
  const bridged: number[] = [];
  const cli: number[] = [];
  const directOpen = () => UdpTransport.open({ host: udp.host, port: udp.port });
  const serveOpen = () =>
    openServeTransport({ url: serve.origin, token: serve.token, target: 'sim:stm32f4_disco/udp', WebSocket });
  for (let round = 0; round < 2; round++) {
    cli.push(...(await measureCli(udp.port)));
    direct.push(...(await measure('direct UDP', directOpen)));
    bridged.push(...(await measure('through zdfu serve', serveOpen)));
  }
  const rttDirect = await echoRtt(directOpen);
  const rttServe = await echoRtt(serveOpen);
  console.log(`Binary Two: ${image.length} bytes`);
  console.log(`zdfu CLI (dist/zdfu.mjs), UDP:      ${summary(cli)}`);
  console.log(`client in-process, UDP:             ${summary(direct)}`);
  console.log(`through zdfu serve (ws page), UDP:  ${summary(bridged)}`);
  console.log(
    `echo round trip, median of 200: direct ${median(rttDirect).toFixed(2)} ms, through zdfu serve ${median(rttServe).toFixed(2)} ms`,
  );
} finally {
  await serve.close();
  await sim.close();
}
