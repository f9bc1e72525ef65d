/** The hawkBit gateway: one DDI controller per SMP device (see gateway.ts). */
export { DEFAULT_PARALLEL, DEFAULT_POLL_FLOOR_MS, startGateway } from './gateway.ts';
export type { Gateway, GatewayDevice, GatewayDfuOptions, GatewayOptions } from './types.ts';
export { GatewayError } from './types.ts';
