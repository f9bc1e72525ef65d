/**
 * Connect: the in-tab virtual board, Web Serial, Web Bluetooth, or a device `zdfu serve` bridges.
 * A way this browser cannot use shows its button disabled with the reason beside it.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Problem } from '../components/problem.tsx';
import { ViewSection } from '../components/section.tsx';
import { useTask } from '../components/use-task.ts';
import { type BoardAssetEntry, boardList } from '../connect/board-assets.ts';
import type { Connection } from '../connect/connection.ts';
import type { ServeTarget } from '../connect/serve.ts';
import {
  browserFacts,
  type Support,
  virtualBoardSupport,
  webBluetoothSupport,
  webSerialSupport,
} from '../connect/support.ts';
import { connectVirtualBoard } from '../connect/virtual.ts';
import { connectWebBluetooth } from '../connect/web-bluetooth.ts';
import { BAUD_RATES, connectWebSerial } from '../connect/web-serial.ts';
import { type ServeHint, splitPrintedServeUrl } from '../model/page-link.ts';

export interface ConnectViewProps {
  readonly onConnected: (connection: Connection) => void;
  readonly serveHint: ServeHint;
  /** The device connected now: one at a time, so the cards wait until it is disconnected. */
  readonly current: Connection | undefined;
  readonly onDisconnect: () => void;
}

function Unsupported({ support, id }: { support: Support; id: string }) {
  if (support.ok) return null;
  return (
    <p class="reason" id={id} data-testid={`${id}`}>
      {support.reason}
    </p>
  );
}

export function ConnectView({ onConnected, serveHint, current, onDisconnect }: ConnectViewProps) {
  const facts = useMemo(browserFacts, []);
  if (current) {
    return (
      <ViewSection id="connect" title="Connect to a device">
        <p data-testid="connect-current">
          Connected to <strong>{current.label}</strong>. The dashboard talks to one device at a time:
          disconnect it to connect another.
        </p>
        <button type="button" data-testid="connect-disconnect" onClick={onDisconnect}>
          Disconnect
        </button>
      </ViewSection>
    );
  }
  return (
    <ViewSection id="connect" title="Connect to a device">
      <div class="cards">
        <VirtualCard support={virtualBoardSupport(facts)} onConnected={onConnected} />
        <SerialCard support={webSerialSupport(facts)} onConnected={onConnected} />
        <BluetoothCard support={webBluetoothSupport(facts)} onConnected={onConnected} />
        <ServeCard hint={serveHint} onConnected={onConnected} />
      </div>
    </ViewSection>
  );
}

function VirtualCard({ support, onConnected }: { support: Support; onConnected: (c: Connection) => void }) {
  const boards = useTask<readonly BoardAssetEntry[]>();
  const connect = useTask<Connection>();
  const [name, setName] = useState('stm32f4_disco');
  useEffect(() => {
    void boards.run(boardList);
  }, []);
  const list = boards.result ?? [];
  const entry = list.find((b) => b.name === name) ?? list[0];
  const start = async () => {
    if (!entry) return;
    const connection = await connect.run(() => connectVirtualBoard({ entry }));
    if (connection) onConnected(connection);
  };
  return (
    <article class="card" data-testid="connect-virtual">
      <h3>Virtual board in this tab</h3>
      <p class="hint">
        A whole board (flash, MCUboot, Zephyr's SMP server, blinky firmware) runs in a worker of this page.
        Its flash is kept in the browser, so a reload is a power cycle.
      </p>
      <label for="board-select">Board</label>
      <select
        id="board-select"
        data-testid="board-select"
        value={entry?.name ?? ''}
        disabled={list.length === 0 || connect.busy}
        onChange={(e) => setName(e.currentTarget.value)}
      >
        {list.map((b) => (
          <option key={b.name} value={b.name}>
            {b.name}
          </option>
        ))}
      </select>
      {entry ? <p class="hint">{entry.description}</p> : null}
      <button
        type="button"
        class="primary"
        data-testid="connect-virtual-button"
        disabled={!support.ok || !entry || connect.busy}
        aria-describedby={support.ok ? undefined : 'virtual-unsupported'}
        onClick={start}
      >
        {connect.busy ? 'Starting the board…' : 'Start the virtual board'}
      </button>
      <Unsupported support={support} id="virtual-unsupported" />
      <Problem text={boards.error ?? connect.error} testId="connect-virtual-problem" />
    </article>
  );
}

function SerialCard({ support, onConnected }: { support: Support; onConnected: (c: Connection) => void }) {
  const connect = useTask<Connection>();
  const [baud, setBaud] = useState(115200);
  const open = async () => {
    const connection = await connect.run(() => connectWebSerial(baud));
    if (connection) onConnected(connection);
  };
  return (
    <article class="card" data-testid="connect-serial">
      <h3>Web Serial</h3>
      <p class="hint">A board on a USB serial port running Zephyr's SMP server over its console UART.</p>
      <label for="baud-select">Baud rate</label>
      <select
        id="baud-select"
        data-testid="baud-select"
        value={String(baud)}
        disabled={!support.ok || connect.busy}
        onChange={(e) => setBaud(Number(e.currentTarget.value))}
      >
        {BAUD_RATES.map((rate) => (
          <option key={rate} value={String(rate)}>
            {rate}
          </option>
        ))}
      </select>
      <button
        type="button"
        class="primary"
        data-testid="connect-serial-button"
        disabled={!support.ok || connect.busy}
        aria-describedby={support.ok ? undefined : 'serial-unsupported'}
        onClick={open}
      >
        {connect.busy ? 'Choose a port…' : 'Choose a serial port'}
      </button>
      <Unsupported support={support} id="serial-unsupported" />
      <Problem text={connect.error} testId="connect-serial-problem" />
    </article>
  );
}

function BluetoothCard({ support, onConnected }: { support: Support; onConnected: (c: Connection) => void }) {
  const connect = useTask<Connection>();
  const [prefix, setPrefix] = useState('');
  const open = async () => {
    const connection = await connect.run(() => connectWebBluetooth(prefix.trim() || undefined));
    if (connection) onConnected(connection);
  };
  return (
    <article class="card" data-testid="connect-bluetooth">
      <h3>Web Bluetooth</h3>
      <p class="hint">A board advertising the SMP service over Bluetooth LE.</p>
      <label for="ble-prefix">Name starts with (optional)</label>
      <input
        id="ble-prefix"
        data-testid="ble-prefix"
        type="text"
        value={prefix}
        disabled={!support.ok || connect.busy}
        placeholder="any device with the SMP service"
        onInput={(e) => setPrefix(e.currentTarget.value)}
      />
      <button
        type="button"
        class="primary"
        data-testid="connect-bluetooth-button"
        disabled={!support.ok || connect.busy}
        aria-describedby={support.ok ? undefined : 'bluetooth-unsupported'}
        onClick={open}
      >
        {connect.busy ? 'Choose a device…' : 'Choose a Bluetooth device'}
      </button>
      <Unsupported support={support} id="bluetooth-unsupported" />
      <Problem text={connect.error} testId="connect-bluetooth-problem" />
    </article>
  );
}

function ServeCard({ hint, onConnected }: { hint: ServeHint; onConnected: (c: Connection) => void }) {
  const [url, setUrl] = useState(hint.url ?? 'http://127.0.0.1:8117');
  const [token, setToken] = useState(hint.token ?? '');
  const targets = useTask<ServeTarget[]>();
  const connect = useTask<Connection>();
  const address = { url: url.trim(), token: token.trim() };
  const canList = address.url !== '' && address.token !== '';
  // The bridge's protocol (with its validator) loads only when used: most visits never need it.
  const list = () => targets.run(async () => (await import('../connect/serve.ts')).listTargets(address));
  useEffect(() => {
    // The page came from zdfu serve with its token: show what it bridges straight away.
    if (hint.url && hint.token) void list();
  }, []);
  const open = async (target: ServeTarget) => {
    const connection = await connect.run(async () =>
      (await import('../connect/serve.ts')).connectServe(address, target),
    );
    if (connection) onConnected(connection);
  };
  return (
    <article class="card" data-testid="connect-serve">
      <h3>zdfu serve</h3>
      <p class="hint">
        Serial ports, BLE and UDP devices and simulated boards on this computer, bridged by{' '}
        <code>zdfu serve</code> (it prints the URL and token).
      </p>
      <form
        class="serve-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (canList) void list();
        }}
      >
        <label for="serve-url">Bridge URL</label>
        <input
          id="serve-url"
          data-testid="serve-url"
          type="url"
          value={url}
          onInput={(e) => {
            const value = e.currentTarget.value;
            // The whole printed URL pasted here: take its token too.
            const printed = splitPrintedServeUrl(value);
            setUrl(printed ? printed.url : value);
            if (printed) setToken(printed.token);
          }}
        />
        <label for="serve-token">Token</label>
        <input
          id="serve-token"
          data-testid="serve-token"
          type="password"
          autoComplete="off"
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
        />
        <button type="submit" data-testid="serve-list-button" disabled={!canList || targets.busy}>
          {targets.busy ? 'Asking zdfu serve…' : 'List devices'}
        </button>
      </form>
      <Problem text={targets.error ?? connect.error} testId="connect-serve-problem" />
      {targets.result ? (
        targets.result.length === 0 ? (
          <p class="hint" data-testid="serve-no-targets">
            zdfu serve offers no devices: plug one in, add a connection profile, or start it with a simulated
            board.
          </p>
        ) : (
          <ul class="targets" data-testid="serve-targets">
            {targets.result.map((target) => (
              <li key={target.id}>
                <button
                  type="button"
                  data-testid="serve-target"
                  disabled={connect.busy}
                  onClick={() => open(target)}
                >
                  <strong>{target.label}</strong>
                  <span class="detail">
                    {target.kind} · {target.detail}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        )
      ) : null}
    </article>
  );
}
