/**
 * The browser suite's own test page (bundled by esbuild for the browser): the library as a page
 * uses it, over each web transport, running the user's story of test/e2e/story.test.ts in the
 * page: echo → stat list / smp_server_stats rising → image list → upload Binary Two → image test →
 * reset → the swap → image list shows Two running → confirm. The test clicks the connect buttons
 * (the choosers need a user gesture) and calls window.zdfuStory; every step is also written into
 * the page so a screenshot shows the run.
 */
import { DeviceClient } from '../../../../src/client/device.ts';
import { runDfu } from '../../../../src/client/dfu.ts';
import { startVirtualBoard, type VirtualBoardHandle } from '../../../../src/device/web/virtual-board.ts';
import { LinkError } from '../../../../src/transport/link-error.ts';
import type { Transport } from '../../../../src/transport/transport.ts';
import { openWebBluetoothTransport } from '../../../../src/transport/web/web-bluetooth.ts';
import { openWebSerialTransport } from '../../../../src/transport/web/web-serial.ts';
import { listServeTargets, openServeTransport } from '../../../../src/transport/web/websocket.ts';

/** Zephyr smp_bt.c's SMP service. */
const SMP_SERVICE = '8d53dc1d-1db7-4cd3-868b-8a527460aa84';

export interface StoryStep {
  readonly step: string;
  readonly detail: string;
  readonly ms: number;
}

export interface UploadFigures {
  readonly bytes: number;
  /** The upload engine's own time (as `zdfu --json image upload` reports elapsedMs). */
  readonly ms: number;
  readonly chunkSize: number;
  readonly window: number;
  readonly requests: number;
}

/** How a try ended: the words a user would see, and what the page reported along the way. */
export interface Outcome {
  readonly ok: boolean;
  readonly message: string;
  readonly ms: number;
  readonly steps: string[];
}

export interface StoryResult {
  readonly steps: StoryStep[];
  readonly upload: UploadFigures;
  readonly console: string;
}

interface StoryApi {
  /** "connected: <kind>" or "failed: <message>" once a connect button's work ends. */
  status: string;
  /** Bytes the device has confirmed of the upload under way (so a test can act in its middle). */
  progress: number;
  connectServe(url: string, token: string, target?: string): Promise<string>;
  listServe(url: string, token: string): Promise<string[]>;
  /** Starts the in-tab virtual board (its worker bundled beside the page) and connects to its UART. */
  connectVirtual(board: string): Promise<string>;
  /** The in-tab board's console lines so far. */
  virtualConsole(): string[];
  run(imageUrl: string): Promise<StoryResult>;
  /** Uploads only: for the speed figures and the bad-input tests. */
  upload(imageUrl: string): Promise<UploadFigures>;
  /** The dfu flow (upload, test, reset, watch, confirm) as the dashboard runs it; never throws. */
  dfu(imageUrl: string): Promise<Outcome>;
  /** An upload that reports how it ended instead of throwing. */
  tryUpload(imageUrl: string): Promise<Outcome>;
  slots(): Promise<string>;
  close(): Promise<void>;
}

declare global {
  interface Window {
    zdfuStory: StoryApi;
  }
}

const log = document.getElementById('log')!;
const controls = document.getElementById('controls')!;
let client: DeviceClient | undefined;
/** Opens the same device again (after a reset dropped a link that does not survive it). */
let reopen: (() => Promise<Transport>) | undefined;
let linkLost = false;
let virtualBoard: VirtualBoardHandle | undefined;
let consoleText = '';

function say(line: string): void {
  log.textContent += `${line}\n`;
}

function adopt(opened: Transport, again: () => Promise<Transport>): void {
  reopen = again;
  linkLost = false;
  opened.onLinkError((error) => {
    if (error.closed) linkLost = true;
  });
  opened.onText((text) => {
    // Bounded: the console is kept for the result, not forever.
    consoleText = (consoleText + text).slice(-20_000);
  });
  client = new DeviceClient(opened, { timeoutMs: 3000, retries: 2 });
}

function connected(): DeviceClient {
  if (!client) throw new Error('not connected: click a connect button first');
  return client;
}

function button(id: string, label: string, work: () => Promise<string>): void {
  const b = document.createElement('button');
  b.id = id;
  b.textContent = label;
  b.addEventListener('click', () => {
    api.status = 'connecting';
    work().then(
      (kind) => {
        api.status = `connected: ${kind}`;
        say(api.status);
      },
      (error: Error) => {
        api.status = `failed: ${error.message}`;
        say(api.status);
      },
    );
  });
  controls.append(b);
}

button('connect-serial', 'Connect (Web Serial)', async () => {
  const port = await navigator.serial.requestPort();
  // The chosen port stays granted: opening it again needs no chooser and no gesture.
  const open = () => openWebSerialTransport(port);
  adopt(await open(), open);
  return 'web-serial';
});

button('connect-bluetooth', 'Connect (Web Bluetooth)', async () => {
  const device = await navigator.bluetooth.requestDevice({ filters: [{ services: [SMP_SERVICE] }] });
  // The transport connects again by itself after a reset; opening anew reuses the chosen device.
  const open = () => openWebBluetoothTransport(device);
  adopt(await open(), open);
  return `web-bluetooth ${device.name ?? ''}`.trim();
});

function slotWords(
  images: readonly {
    slot: number;
    version: string;
    active?: boolean;
    confirmed?: boolean;
    pending?: boolean;
    permanent?: boolean;
  }[],
): string {
  const rows = [...images].sort((a, b) => a.slot - b.slot);
  return rows
    .map((image) => {
      const flags = (['active', 'confirmed', 'pending', 'permanent'] as const).filter(
        (f) => image[f] === true,
      );
      return `slot ${image.slot}: ${image.version} [${flags.length > 0 ? flags.join(' ') : 'no flags'}]`;
    })
    .join(', ');
}

async function fetchImage(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function upload(url: string): Promise<UploadFigures> {
  const image = await fetchImage(url);
  api.progress = 0;
  const result = await connected().imageUpload(image, {
    onProgress: (progress) => {
      api.progress = progress.bytes;
    },
  });
  return {
    bytes: image.length,
    ms: result.elapsedMs,
    chunkSize: result.chunkSize,
    window: result.window,
    requests: result.requests,
  };
}

/**
 * After the reset: the device has rebooted (as src/client/dfu.ts waits: Zephyr answers the reset
 * first and reboots a moment later, so an answer that still lists a pending image came from before
 * the reboot). A link that did not survive the reset (Bluetooth) is opened again.
 */
async function waitForDevice(timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  while (performance.now() < deadline) {
    try {
      if (linkLost && reopen) {
        const again = reopen;
        await client?.close().catch(() => {});
        adopt(await again(), again);
      }
      const { images } = await connected().imageList({ timeoutMs: 500, retries: 0 });
      if (!images.some((image) => image.pending === true)) return;
    } catch (error) {
      last = error;
      if (error instanceof LinkError && error.closed) linkLost = true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`the device did not answer within ${timeoutMs} ms of its reset: ${String(last)}`);
}

async function run(imageUrl: string): Promise<StoryResult> {
  const steps: StoryStep[] = [];
  const step = async (name: string, work: () => Promise<string>) => {
    const started = performance.now();
    const detail = await work();
    const ms = Math.round(performance.now() - started);
    steps.push({ step: name, detail, ms });
    say(`${name}: ${detail} (${ms} ms)`);
  };
  const device = connected();
  await step('echo', () => device.echo('hello'));
  await step('stat list', async () => (await device.statList()).join(' '));
  await step('smp_server_stats rising', async () => {
    const first = (await device.statShow('smp_server_stats')).fields.counter_stat ?? -1;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = (await device.statShow('smp_server_stats')).fields.counter_stat ?? -1;
    return `counter_stat ${first} → ${second}${second > first ? ' (rising)' : ' (NOT rising)'}`;
  });
  await step('image list', async () => slotWords((await device.imageList()).images));
  let figures: UploadFigures = { bytes: 0, ms: 0, chunkSize: 0, window: 0, requests: 0 };
  await step('upload Binary Two', async () => {
    figures = await upload(imageUrl);
    return `${figures.bytes} bytes`;
  });
  await step('after upload', async () => slotWords((await device.imageList()).images));
  await step('image test', async () => {
    const two = (await device.imageList()).images.find((image) => image.slot === 1);
    if (!two?.hash) throw new Error('Binary Two is not listed in slot 1 after the upload');
    return slotWords((await device.imageTest(two.hash)).images);
  });
  await step('reset', async () => {
    await device.reset();
    await waitForDevice(15_000);
    return 'the device answers again';
  });
  await step('after reset (swap)', async () => slotWords((await connected().imageList()).images));
  await step('image confirm', async () => slotWords((await connected().imageConfirm()).images));
  return { steps, upload: figures, console: consoleText };
}

async function attempt(work: (steps: string[]) => Promise<string>): Promise<Outcome> {
  const steps: string[] = [];
  const started = performance.now();
  try {
    const message = await work(steps);
    say(`ok: ${message}`);
    return { ok: true, message, ms: performance.now() - started, steps };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    say(`failed: ${message}`);
    return { ok: false, message, ms: performance.now() - started, steps };
  }
}

const api: StoryApi = {
  status: 'idle',
  progress: 0,
  async connectServe(url, token, target) {
    const id = target ?? (await listServeTargets({ url, token }))[0]?.id;
    if (!id) throw new Error('the serve offers no device');
    const open = () => openServeTransport({ url, token, target: id });
    adopt(await open(), open);
    say(`connected: serve ${id}`);
    return id;
  },
  async connectVirtual(name) {
    const text = async (path: string) => {
      const response = await fetch(path);
      return response.ok ? response.text() : undefined;
    };
    const boardYaml = await text(`/images/${name}/board.yaml`);
    if (boardYaml === undefined) throw new Error(`no board file for ${name}`);
    const key = await text(`/images/${name}/key.pem`);
    virtualBoard = await startVirtualBoard({
      board: name,
      storage: 'memory',
      flashTimeScale: 0,
      worker: new Worker('board-worker.js', { type: 'module', name }),
      assets: {
        boardYaml,
        ...(key === undefined ? {} : { bootloaderKeyPem: key }),
        factoryImages: [await fetchImage(`/images/${name}/one.bin`)],
      },
    });
    const board = virtualBoard;
    // The handle's transport survives resets (and plugs in a new one after a power cut).
    adopt(board.transport, async () => board.transport);
    say(`connected: virtual ${name} (${board.state})`);
    return board.state;
  },
  virtualConsole() {
    return [...(virtualBoard?.consoleHistory() ?? [])];
  },
  async listServe(url, token) {
    return (await listServeTargets({ url, token })).map((t) => t.id);
  },
  run,
  upload,
  dfu: (url) =>
    attempt(async (steps) => {
      const result = await runDfu(connected(), await fetchImage(url), {
        settleMs: 300,
        rebootTimeoutMs: 15_000,
        onStep: (step) => steps.push(step.kind),
      });
      return `running ${result.version}`;
    }),
  tryUpload: (url) =>
    attempt(async () => {
      const figures = await upload(url);
      return `uploaded ${figures.bytes} bytes`;
    }),
  async slots() {
    return slotWords((await connected().imageList()).images);
  },
  async close() {
    await client?.close();
    client = undefined;
    await virtualBoard?.close();
    virtualBoard = undefined;
  },
};
window.zdfuStory = api;
