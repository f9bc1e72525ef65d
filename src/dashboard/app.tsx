/**
 * The dashboard's shell: the header with the connection, the view navigation, the open view, and
 * (for the in-tab board) the board panel beside it. Holds the connection, the console text (kept
 * from the moment of connecting) and which optional groups the device serves.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { enumGroupList } from '../groups/enum/client.ts';
import { noteViewChosen } from './components/section.tsx';
import type { Connection } from './connect/connection.ts';
import { useFleetWatch } from './connect/fleet.ts';
import { ConsoleBuffer } from './model/console-buffer.ts';
import {
  fromEnumeration,
  isShown,
  OPTIONAL_GROUPS,
  type ServedGroups,
  UNKNOWN_GROUPS,
  withRefused,
} from './model/groups.ts';
import { serveHintFrom, withoutToken } from './model/page-link.ts';
import { problemText } from './model/problem.ts';
import { BoardPanel } from './views/board-panel.tsx';
import { ConnectView } from './views/connect-view.tsx';
import { ConsoleView } from './views/console-view.tsx';
import { FactsView } from './views/facts-view.tsx';
import { FleetView } from './views/fleet-view.tsx';
import { FsView } from './views/fs-view.tsx';
import { ImageView } from './views/image-view.tsx';
import { SettingsView } from './views/settings-view.tsx';
import { ShellView } from './views/shell-view.tsx';
import { SlotsView } from './views/slots-view.tsx';
import { StatsView } from './views/stats-view.tsx';

type ViewId =
  | 'connect'
  | 'device'
  | 'slots'
  | 'image'
  | 'stats'
  | 'console'
  | 'files'
  | 'shell'
  | 'settings'
  | 'fleet';

interface ViewEntry {
  readonly id: ViewId;
  readonly label: string;
  /** Needs a device (else the tab is disabled). */
  readonly device: boolean;
  /** Shown only where the device serves this group. */
  readonly group?: number;
}

const VIEWS: readonly ViewEntry[] = [
  { id: 'connect', label: 'Connect', device: false },
  { id: 'device', label: 'Device', device: true },
  { id: 'slots', label: 'Slots', device: true },
  { id: 'image', label: 'Image', device: false },
  { id: 'stats', label: 'Stats', device: true },
  { id: 'console', label: 'Console', device: true },
  { id: 'files', label: 'Files', device: true, group: OPTIONAL_GROUPS.fs },
  { id: 'shell', label: 'Shell', device: true, group: OPTIONAL_GROUPS.shell },
  { id: 'settings', label: 'Settings', device: true, group: OPTIONAL_GROUPS.settings },
  { id: 'fleet', label: 'Fleet', device: false },
];

/** `zdfu gateway --dashboard` prints its URL with `#view=fleet`: the page opens on the Fleet view. */
function requestedView(hash: string): ViewId {
  return new URLSearchParams(hash.replace(/^#/, '')).get('view') === 'fleet' ? 'fleet' : 'connect';
}

/** How long the enumeration question may take before the page falls back to trying each group. */
const ENUM_TIMEOUT_MS = 3_000;
/** Console redraws are batched to one per frame: a chatty device prints many small pieces. */
function useConsole(connection: Connection | undefined) {
  const buffer = useRef(new ConsoleBuffer());
  const [text, setText] = useState('');
  useEffect(() => {
    buffer.current.clear();
    setText('');
    if (!connection) return;
    const board = connection.board;
    // A board started before the page subscribed: show what it printed already.
    for (const line of board?.consoleHistory() ?? []) buffer.current.append(`${line}\n`);
    setText(buffer.current.toString());
    let frame = 0;
    const off = connection.onConsole((chunk) => {
      buffer.current.append(chunk);
      if (frame === 0) {
        frame = requestAnimationFrame(() => {
          frame = 0;
          setText(buffer.current.toString());
        });
      }
    });
    return () => {
      off();
      if (frame !== 0) cancelAnimationFrame(frame);
    };
  }, [connection]);
  const clear = useCallback(() => {
    buffer.current.clear();
    setText('');
  }, []);
  return { text, clear };
}

export function App() {
  const serveHint = useMemo(() => serveHintFrom(window.location), []);
  useEffect(() => {
    // The token has been read: keep it out of the address bar, history and bookmarks.
    if (serveHint.token) history.replaceState(null, '', withoutToken(window.location.href));
  }, []);
  const [connection, setConnection] = useState<Connection>();
  const [gone, setGone] = useState<string>();
  const [view, setView] = useState<ViewId>(() => requestedView(window.location.hash));
  const [served, setServed] = useState<ServedGroups>(UNKNOWN_GROUPS);
  const consoleText = useConsole(connection);
  const fleet = useFleetWatch();
  const fleetTried = useRef(false);
  useEffect(() => {
    // A page from a gateway watches its fleet as soon as the Fleet view opens (once: after a
    // failure the view's form says what went wrong and offers to try again).
    if (view !== 'fleet' || fleetTried.current || !serveHint.url || !serveHint.token) return;
    fleetTried.current = true;
    void fleet.watch({ url: serveHint.url, token: serveHint.token });
  }, [view]);

  useEffect(() => {
    if (!connection) return;
    setGone(undefined);
    setServed(UNKNOWN_GROUPS);
    let current = true;
    enumGroupList(connection.device.smp, { timeoutMs: ENUM_TIMEOUT_MS, retries: 0 }).then(
      (groups) => current && setServed(fromEnumeration(groups)),
      // No enumeration group (or no answer): each view finds out by trying.
      () => undefined,
    );
    const off = connection.onGone((error) => setGone(problemText(error)));
    return () => {
      current = false;
      off();
    };
  }, [connection]);

  const open = (id: ViewId) => {
    noteViewChosen();
    setView(id);
  };
  const connected = (next: Connection) => {
    noteViewChosen();
    setConnection(next);
    setView('device');
  };
  const disconnect = async () => {
    const old = connection;
    setConnection(undefined);
    setView('connect');
    setGone(undefined);
    await old?.close().catch(() => undefined);
  };
  const refused = useCallback((group: number) => setServed((s) => withRefused(s, group)), []);

  const shown = VIEWS.filter((v) => v.group === undefined || !connection || isShown(served, v.group));
  const active = shown.find((v) => v.id === view) ?? VIEWS[0]!;
  const board = connection?.board;
  return (
    <div class={board ? 'layout with-board' : 'layout'}>
      <header class="top">
        <h1>
          <span class="brand">zdfu</span> dashboard
        </h1>
        <div class="conn" data-testid="connection">
          {connection ? (
            <>
              <span class={gone ? 'dot off' : 'dot on'} aria-hidden="true" />
              <span data-testid="connection-label">{connection.label}</span>
              <button type="button" data-testid="disconnect" onClick={disconnect}>
                Disconnect
              </button>
            </>
          ) : (
            <span class="muted">Not connected</span>
          )}
        </div>
      </header>
      <nav class="tabs" aria-label="Views">
        {shown.map((v) => (
          <button
            key={v.id}
            type="button"
            data-testid={`nav-${v.id}`}
            aria-current={active.id === v.id ? 'page' : undefined}
            disabled={v.device && !connection}
            title={v.device && !connection ? 'Connect to a device first' : undefined}
            onClick={() => open(v.id)}
          >
            {v.label}
          </button>
        ))}
      </nav>
      <main class="main">
        {gone ? (
          <div class="banner" role="alert" data-testid="connection-gone">
            <p>{gone}</p>
            <button type="button" onClick={disconnect}>
              Connect again
            </button>
          </div>
        ) : null}
        {active.id === 'fleet' ? (
          <FleetView watcher={fleet} serveHint={serveHint} />
        ) : active.id === 'connect' || !connection ? (
          active.id === 'image' ? (
            <ImageView connection={undefined} />
          ) : (
            <ConnectView
              onConnected={connected}
              serveHint={serveHint}
              current={connection}
              onDisconnect={disconnect}
            />
          )
        ) : (
          renderView(active.id, connection, consoleText, refused)
        )}
      </main>
      {board ? (
        <aside class="side">
          <BoardPanel board={board} console={consoleText.text} onClearConsole={consoleText.clear} />
        </aside>
      ) : null}
    </div>
  );
}

function renderView(
  id: Exclude<ViewId, 'connect' | 'fleet'>,
  connection: Connection,
  consoleText: { text: string; clear: () => void },
  onRefused: (group: number) => void,
) {
  switch (id) {
    case 'image':
      return <ImageView connection={connection} />;
    case 'device':
      return <FactsView connection={connection} />;
    case 'slots':
      return <SlotsView connection={connection} />;
    case 'stats':
      return <StatsView connection={connection} />;
    case 'console':
      return (
        <ConsoleView
          text={consoleText.text}
          onClear={consoleText.clear}
          serialLike={connection.board !== undefined || connection.transport.kind === 'serial'}
        />
      );
    case 'files':
      return <FsView connection={connection} onRefused={onRefused} />;
    case 'shell':
      return <ShellView connection={connection} onRefused={onRefused} />;
    case 'settings':
      return <SettingsView connection={connection} onRefused={onRefused} />;
  }
}
