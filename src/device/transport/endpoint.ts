/**
 * The shape shared by the device's SMP transports, one module each as in Zephyr's
 * subsys/mgmt/mcumgr/transport/src/ (smp_uart.c → ./uart.ts, smp_udp.c → ./udp.ts, smp_bt.c for
 * BLE): an endpoint takes what its link delivers, drops what the real one would (each with its
 * own rules, counted in its `stats`), hands every whole SMP request to the server through an
 * SmpHandler, and sends the responses back its own way. The endpoints are pure; the Node
 * resources they sit on (PTY, UDP socket) are wired in the `-pty` / `-socket` modules beside them.
 * Pure type module: no Node imports.
 */

/** The SMP server behind an endpoint: one request in, its responses (none: no answer) out. */
export type SmpHandler = (packet: Uint8Array) => Promise<Uint8Array[]>;
