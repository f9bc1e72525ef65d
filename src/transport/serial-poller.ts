/**
 * Keeps an open serialport's Linux/macOS poller from forgetting a wait. Poller::poll in
 * @serialport/bindings-cpp 13.0.0 (src/poller.cpp) restarts uv_poll with only the event just asked
 * for, so a write that met a full tty buffer and waits for "writable" loses that wait as soon as a
 * read polls for "readable"; if the device then has nothing more to say, the write never finishes
 * and every later request times out. Found by `npm run fuzz` over the sim's PTY. Each poll here
 * asks again for every event a listener still waits for.
 */
/** uv_poll_event bits, as the bindings' poller uses them. */
const UV_READABLE = 1;
const UV_WRITABLE = 2;
const UV_DISCONNECT = 4;

interface UnixPoller {
  poll(eventFlag?: number): void;
  listenerCount(event: string): number;
}

/** Makes a port's poller re-ask for the events its listeners still wait for (no-op on Windows). */
export function keepPollerWaits(port: object): void {
  const poller = (port as { poller?: UnixPoller }).poller;
  if (!poller || typeof poller.poll !== 'function') return;
  const poll = poller.poll.bind(poller);
  poller.poll = (eventFlag = 0) => {
    let events = eventFlag;
    if (poller.listenerCount('readable') > 0) events |= UV_READABLE;
    if (poller.listenerCount('writable') > 0) events |= UV_WRITABLE;
    if (poller.listenerCount('disconnect') > 0) events |= UV_DISCONNECT;
    poll(events);
  };
}
