/**
 * Puts the device's UART on a real pseudo-terminal, as a USB-serial bridge does: what the device
 * transmits goes to the PTY, what a host writes goes to the RX line, and while that line is busy
 * the host's bytes wait in the kernel (bounded) instead of in the process. Node only.
 */
import type { VirtualDevice } from '../device.ts';
import type { PtyPort } from '../io/pty.ts';

export function wireUartToPty(
  device: Pick<VirtualDevice, 'onUart' | 'uartReceive' | 'onUartRxDrain'>,
  pty: Pick<PtyPort, 'write' | 'onData' | 'pause' | 'resume'>,
): void {
  device.onUart((bytes) => pty.write(bytes));
  // Backpressure: while the RX line is busy, leave the host's bytes in the kernel (bounded).
  pty.onData((bytes) => {
    if (!device.uartReceive(bytes)) pty.pause();
  });
  device.onUartRxDrain(() => pty.resume());
}
