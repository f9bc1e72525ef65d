/**
 * The virtual device as the fuzz suite reaches it: over a real UDP socket, over the real PTY of
 * the sim host (unpaced, baud 0), or in-process (VirtualDevice.handleDatagram / uartReceive).
 * Each target can send an input, send a known-good echo probe and wait for its answer, and checks
 * every answer the device sends back.
 */
import { createSocket } from 'node:dgram';
import { constants, mkdtempSync, openSync, rmSync, write } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tty from 'node:tty';
import { DEV_RSA_2048_PUBLIC_PEM } from '../../src/device/boards/bootloader-keys.ts';
import { getBoard } from '../../src/device/boards/index.ts';
import { VirtualDevice } from '../../src/device/device.ts';
import { readBlinkyImage } from '../../src/device/io/artifacts.ts';
import { startSim } from '../../src/device/io/sim-host.ts';
import { SmpServer } from '../../src/device/server/smp-server.ts';
import { loadPublicKey } from '../../src/image/keys.ts';
import { decodePacket, encodePacket, isCborMap } from '../../src/smp/codec.ts';
import { MgmtErr } from '../../src/smp/errors.ts';
import { SmpOp } from '../../src/smp/header.ts';
import { encodeSerialFrame, SerialFrameDecoder } from '../../src/transport/serial-framing.ts';
import { mayWriteFlash, toHex } from './generators.ts';

export const TRANSPORTS = ['direct', 'uart', 'udp', 'pty'] as const;
export type TransportName = (typeof TRANSPORTS)[number];

/** Whether a transport carries datagrams (SMP packets) or a serial byte stream. */
export function inputKind(transport: TransportName): 'packet' | 'serial' {
  return transport === 'direct' || transport === 'udp' ? 'packet' : 'serial';
}

export interface FuzzTarget {
  readonly transport: TransportName;
  readonly device: VirtualDevice;
  send(input: Uint8Array): Promise<void>;
  /** Sends a known-good echo after everything sent so far; true when it is answered in time. */
  probe(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * What the SMP server saw, over every transport: the server's entry point is wrapped once, so an
 * exception escaping it (which the UDP and serial endpoints would swallow silently) is a crash,
 * and a packet that reached a flash-writing handler is known exactly.
 */
export class ServerWatch {
  packets = 0;
  writers = 0;
  readonly crashes: string[] = [];
  private readonly original = SmpServer.prototype.handlePacket;

  constructor() {
    const original = this.original;
    const watch = this;
    SmpServer.prototype.handlePacket = function (this: SmpServer, packet: Uint8Array) {
      watch.packets++;
      if (mayWriteFlash(packet)) watch.writers++;
      const run = original.call(this, packet);
      run.catch((error: unknown) => {
        watch.crashes.push(`SMP server rejected packet ${toHex(packet)}: ${describeError(error)}`);
      });
      return run;
    };
  }

  restore(): void {
    SmpServer.prototype.handlePacket = this.original;
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
}

/** Words of JavaScript engine errors: a handler hit a bug, not a bad request. */
const ENGINE_ERROR =
  /is not a function|Cannot read propert|Cannot set propert|is not iterable|Cannot convert|Maximum call stack|Invalid (?:typed )?array length|is outside the bounds|Cannot mix BigInt|is not defined/;

/** Checks one packet the device sent: a decodable SMP response with a map body. */
export function checkResponse(packet: Uint8Array): string | undefined {
  let decoded: ReturnType<typeof decodePacket>;
  try {
    decoded = decodePacket(packet);
  } catch (error) {
    return `device sent a malformed SMP response ${toHex(packet)}: ${(error as Error).message}`;
  }
  const { header, body } = decoded;
  if (header.op !== SmpOp.ReadResponse && header.op !== SmpOp.WriteResponse) {
    return `device answered with op ${header.op}, not a response op: ${toHex(packet)}`;
  }
  if (!isCborMap(body)) return `device answered with a body that is not a CBOR map: ${toHex(packet)}`;
  if (body.rc === MgmtErr.EUNKNOWN && typeof body.rsn === 'string' && ENGINE_ERROR.test(body.rsn)) {
    return `a handler threw a JavaScript error (answered EUNKNOWN): ${body.rsn}`;
  }
  return undefined;
}

const PROBE_SEQUENCE = 0xa5;

/** An echo whose text is unique to this probe; the answer must carry it back. */
function probePacket(nonce: string): Uint8Array {
  return encodePacket(
    { version: 2, op: SmpOp.Write, flags: 0, group: 0, sequence: PROBE_SEQUENCE, command: 0 },
    { d: nonce },
  );
}

function isProbeAnswer(packet: Uint8Array, nonce: string): boolean {
  try {
    const { header, body } = decodePacket(packet);
    return header.sequence === PROBE_SEQUENCE && header.group === 0 && isCborMap(body) && body.r === nonce;
  } catch {
    return false;
  }
}

/** Waits for `matches` to be called with a probe answer, or the timeout. */
class ProbeWaiter {
  private counter = 0;
  private current: { nonce: string; resolve: (ok: boolean) => void } | undefined;

  next(): string {
    return `probe-${++this.counter}`;
  }

  wait(nonce: string, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.current = undefined;
        resolve(false);
      }, timeoutMs);
      this.current = {
        nonce,
        resolve: (ok) => {
          clearTimeout(timer);
          this.current = undefined;
          resolve(ok);
        },
      };
    });
  }

  /** True when `packet` answered the probe in progress. */
  offer(packet: Uint8Array): boolean {
    const current = this.current;
    if (!current || !isProbeAnswer(packet, current.nonce)) return false;
    current.resolve(true);
    return true;
  }
}

/** Collects problems seen in the device's answers; the runner drains them after each batch. */
export class AnswerCheck {
  responses = 0;
  readonly problems: string[] = [];

  packet(packet: Uint8Array): void {
    this.responses++;
    const problem = checkResponse(packet);
    if (problem && this.problems.length < 20) this.problems.push(problem);
  }

  badFrame(reason: string): void {
    if (this.problems.length < 20) this.problems.push(`device sent a bad serial frame: ${reason}`);
  }
}

async function bootDevice(): Promise<VirtualDevice> {
  const device = new VirtualDevice({
    board: getBoard('stm32f4_disco'),
    bootloaderKeys: [await loadPublicKey(DEV_RSA_2048_PUBLIC_PEM)],
    baud: 0,
  });
  device.programSlot(0, readBlinkyImage('blinky-one'));
  const boot = await device.powerOn();
  if (!boot.booted) throw new Error(`the virtual device did not boot: ${boot.reason ?? 'unknown reason'}`);
  return device;
}

/** Datagrams straight into VirtualDevice.handleDatagram, a window of them in flight. */
async function openDirect(answers: AnswerCheck, crashes: string[]): Promise<FuzzTarget> {
  const device = await bootDevice();
  const waiter = new ProbeWaiter();
  let inFlight: Promise<void>[] = [];
  const handle = (packet: Uint8Array) =>
    device.handleDatagram(packet).then(
      (responses) => {
        for (const response of responses) if (!waiter.offer(response)) answers.packet(response);
      },
      (error: unknown) => {
        crashes.push(`handleDatagram rejected ${toHex(packet)}: ${describeError(error)}`);
      },
    );
  /** Waits for the datagrams in flight, but not forever: a stuck server is a hang. */
  const settle = async (timeoutMs: number) => {
    const all = Promise.all(inFlight).then(() => true);
    inFlight = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const settled = await Promise.race([all, timeout]);
    clearTimeout(timer);
    if (!settled) answers.problems.push(`handleDatagram did not settle within ${timeoutMs} ms`);
  };
  return {
    transport: 'direct',
    device,
    async send(input) {
      // As a client that respects the device's SMP buffers (Zephyr drops what finds none free).
      await roomForRequest(device);
      inFlight.push(handle(input));
      if (inFlight.length >= 64) await settle(10_000);
    },
    async probe(timeoutMs) {
      await settle(timeoutMs);
      const nonce = waiter.next();
      const answered = waiter.wait(nonce, timeoutMs);
      void handle(probePacket(nonce));
      return answered;
    },
    close: () => device.powerOff(),
  };
}

/** Bytes straight into VirtualDevice.uartReceive; its UART TX decoded as a client would. */
async function openUart(answers: AnswerCheck): Promise<FuzzTarget> {
  const device = await bootDevice();
  const waiter = new ProbeWaiter();
  const decoder = new SerialFrameDecoder();
  device.onUart((bytes) => {
    for (const event of decoder.push(bytes)) {
      if (event.kind === 'packet') {
        if (!waiter.offer(event.packet)) answers.packet(event.packet);
      } else if (event.kind === 'bad-frame') answers.badFrame(event.reason);
    }
  });
  let sinceYield = 0;
  return {
    transport: 'uart',
    device,
    async send(input) {
      await roomForRequest(device);
      device.uartReceive(input);
      // Let the server's queue run now and then, as a UART interrupt would not starve it.
      if (++sinceYield >= 64) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    probe(timeoutMs) {
      const nonce = waiter.next();
      const answered = waiter.wait(nonce, timeoutMs);
      // A newline first: it ends any partial line the fuzz inputs left, as a client would send.
      device.uartReceive(Uint8Array.of(0x0a));
      device.uartReceive(encodeSerialFrame(probePacket(nonce)));
      return answered;
    },
    close: () => device.powerOff(),
  };
}

/** The sim host with a real UDP socket on a free port; the fuzzer is a UDP client on loopback. */
async function openUdp(answers: AnswerCheck): Promise<FuzzTarget> {
  const sim = await startSim({ udp: '127.0.0.1:0', baud: 0 });
  const address = sim.udp!;
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  socket.setRecvBufferSize(4 * 1024 * 1024);
  const waiter = new ProbeWaiter();
  socket.on('message', (message) => {
    const packet = new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
    if (!waiter.offer(packet)) answers.packet(packet);
  });
  const sendDatagram = (packet: Uint8Array) =>
    new Promise<void>((resolve) => socket.send(packet, address.port, address.host, () => resolve()));
  let window: Promise<void>[] = [];
  return {
    transport: 'udp',
    device: sim.device,
    async send(input) {
      window.push(sendDatagram(input));
      // Loopback drops when the device's receive buffer is full; keep a small window in flight.
      if (window.length >= 16) {
        await Promise.all(window);
        window = [];
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    async probe(timeoutMs) {
      await Promise.all(window);
      window = [];
      const nonce = waiter.next();
      const answered = waiter.wait(nonce, timeoutMs);
      await sendDatagram(probePacket(nonce));
      return answered;
    },
    async close() {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      await sim.close();
    },
  };
}

/**
 * The sim host's real PTY (baud 0), opened from the other side as a terminal program would: the
 * slave device, non-blocking, read through a tty stream and written with plain write(2), retrying
 * on EAGAIN. The client stays this small so that what is measured is the device. (Through
 * serialport this run first stalled: its Linux poller forgot a write's wait when a read polled;
 * src/transport/serial-poller.ts fixes that for zdfu's serial transport.)
 */
async function openPty(answers: AnswerCheck): Promise<FuzzTarget> {
  const dir = mkdtempSync(join(tmpdir(), 'zdfu-fuzz-'));
  const sim = await startSim({ udp: false, baud: 0, ptyLink: join(dir, 'tty') });
  const fd = openSync(sim.ptyPath, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
  const reader = new tty.ReadStream(fd);
  const waiter = new ProbeWaiter();
  const decoder = new SerialFrameDecoder();
  let closed = false;
  reader.on('data', (chunk: Buffer) => {
    if (closed) return;
    for (const event of decoder.push(chunk)) {
      if (event.kind === 'packet') {
        if (!waiter.offer(event.packet)) answers.packet(event.packet);
      } else if (event.kind === 'bad-frame') answers.badFrame(event.reason);
    }
  });
  reader.on('error', (error: Error) => {
    if (!closed) answers.problems.push(`reading the PTY failed: ${error.message}`);
  });

  /** Writes all of `bytes`; false when the PTY stayed full for `timeoutMs` (the device stopped reading). */
  const writeAll = async (bytes: Uint8Array, timeoutMs: number): Promise<boolean> => {
    let offset = 0;
    let waitedMs = 0;
    while (offset < bytes.length && !closed) {
      const written = await new Promise<number>((resolve, reject) => {
        write(fd, bytes, offset, bytes.length - offset, null, (error, count) => {
          if (!error) resolve(count);
          else if ((error as NodeJS.ErrnoException).code === 'EAGAIN') resolve(0);
          else reject(error);
        });
      });
      offset += written;
      if (written === 0) {
        if (waitedMs >= timeoutMs) return false;
        await new Promise((resolve) => setTimeout(resolve, 2));
        waitedMs += 2;
      } else {
        waitedMs = 0;
      }
    }
    return true;
  };
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = async (timeoutMs: number) => {
    if (pending.length === 0) return;
    const chunk = Buffer.concat(pending);
    pending = [];
    pendingBytes = 0;
    if (!(await writeAll(chunk, timeoutMs))) {
      answers.problems.push(`the device stopped reading its PTY: ${timeoutMs} ms without room for a byte`);
    }
  };
  return {
    transport: 'pty',
    device: sim.device,
    async send(input) {
      // Inputs go out in bursts of a few KiB: the device sees the same byte stream either way.
      pending.push(input);
      pendingBytes += input.length;
      if (pendingBytes >= 1024) {
        await flush(10_000);
        await roomForRequest(sim.device);
      }
    },
    async probe(timeoutMs) {
      await flush(timeoutMs);
      const nonce = waiter.next();
      const answered = waiter.wait(nonce, timeoutMs);
      void writeAll(Buffer.concat([Uint8Array.of(0x0a), encodeSerialFrame(probePacket(nonce))]), timeoutMs);
      return answered;
    },
    async close() {
      closed = true;
      reader.destroy();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Waits while the device's SMP buffers are (nearly) all taken: a fuzzer that floods them only
 * measures Zephyr's drop rule (smp_packet_alloc fails, the request is dropped), not the server.
 */
async function roomForRequest(device: VirtualDevice): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (device.smpBuffers.inUse >= device.smpBuffers.count - 1 && Date.now() < deadline) {
    await Promise.race([device.whenSmpIdle(), new Promise((resolve) => setTimeout(resolve, 50))]);
  }
}

export function openTarget(
  transport: TransportName,
  answers: AnswerCheck,
  crashes: string[],
): Promise<FuzzTarget> {
  switch (transport) {
    case 'direct':
      return openDirect(answers, crashes);
    case 'uart':
      return openUart(answers);
    case 'udp':
      return openUdp(answers);
    case 'pty':
      return openPty(answers);
  }
}
