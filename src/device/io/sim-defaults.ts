/** Defaults of the virtual device host, shared by the host and the CLI that starts it. */
export const DEFAULT_UDP = '127.0.0.1:1337';
