/**
 * Fleet: the devices a `zdfu gateway --dashboard` brings into hawkBit rollouts, live: each device's
 * link, board, running version, phase, progress and hawkBit's last feedback in words, counts per
 * phase (each a filter), a text filter and sorting, and the chosen device's details. The watch
 * itself is held by the app (../connect/fleet.ts) so it keeps running while other views are open.
 */
import { useMemo, useState } from 'preact/hooks';
import type { FleetSnapshot } from '../../serve/fleet-protocol.ts';
import { Problem } from '../components/problem.tsx';
import { ViewSection } from '../components/section.tsx';
import type { FleetWatcher } from '../connect/fleet.ts';
import {
  DEVICE_PHASES,
  type DevicePhase,
  type FleetDevice,
  feedbackWords,
  filterDevices,
  PHASE_LABELS,
  phaseCounts,
  phaseTone,
  SORT_KEYS,
  SORT_LABELS,
  type SortDirection,
  type SortKey,
  shownText,
  sortDevices,
  versionText,
} from '../model/fleet-table.ts';
import { splitPrintedServeUrl } from '../model/page-link.ts';
import { FleetTable } from './fleet-table.tsx';

export interface FleetViewProps {
  readonly watcher: FleetWatcher;
  /** The serve this page came from, when it did (prefills the form). */
  readonly serveHint: { readonly url: string | undefined; readonly token: string | undefined };
}

export function FleetView({ watcher, serveHint }: FleetViewProps) {
  const { state } = watcher;
  const snapshot = state.kind === 'watching' || state.kind === 'ended' ? state.snapshot : undefined;
  return (
    <ViewSection
      id="fleet"
      title="Fleet"
      actions={
        state.kind === 'watching' || state.kind === 'connecting' ? (
          <button type="button" data-testid="fleet-stop" onClick={watcher.stop}>
            Stop watching
          </button>
        ) : undefined
      }
    >
      {state.kind === 'watching' ? null : <WatchForm watcher={watcher} serveHint={serveHint} />}
      {state.kind === 'ended' ? <Problem text={state.problem} testId="fleet-problem" /> : null}
      {snapshot ? (
        <FleetBody snapshot={snapshot} live={state.kind === 'watching'} />
      ) : state.kind === 'connecting' ? (
        <p class="hint" role="status">
          Asking the gateway for its fleet…
        </p>
      ) : null}
    </ViewSection>
  );
}

function WatchForm({ watcher, serveHint }: FleetViewProps) {
  const [url, setUrl] = useState(() => serveHint.url ?? ownOrigin() ?? 'http://127.0.0.1:8117');
  const [token, setToken] = useState(serveHint.token ?? '');
  const busy = watcher.state.kind === 'connecting';
  const onUrl = (text: string) => {
    // The printed URL carries the token: pasted whole, it fills both fields.
    const split = splitPrintedServeUrl(text);
    if (split) {
      setUrl(split.url);
      setToken(split.token);
    } else setUrl(text);
  };
  return (
    <form
      class="fleet-form"
      onSubmit={(event) => {
        event.preventDefault();
        void watcher.watch({ url: url.trim(), token: token.trim() });
      }}
    >
      <p class="hint">
        Start a gateway with <code>zdfu gateway --dashboard</code> and open the URL it prints, or paste that
        URL here.
      </p>
      <div class="row">
        <div class="grow">
          <label for="fleet-url">Gateway URL</label>
          <input
            id="fleet-url"
            type="url"
            data-testid="fleet-url"
            value={url}
            onInput={(e) => onUrl(e.currentTarget.value)}
            autocomplete="off"
          />
        </div>
        <div class="grow">
          <label for="fleet-token">Token</label>
          <input
            id="fleet-token"
            type="password"
            data-testid="fleet-token"
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
            autocomplete="off"
          />
        </div>
        <button
          type="submit"
          class="primary"
          data-testid="fleet-watch-button"
          disabled={busy || !token.trim()}
        >
          {busy ? 'Connecting…' : 'Watch fleet'}
        </button>
      </div>
    </form>
  );
}

function FleetBody({ snapshot, live }: { snapshot: FleetSnapshot; live: boolean }) {
  const [text, setText] = useState('');
  const [phase, setPhase] = useState<DevicePhase | undefined>();
  const [sort, setSort] = useState<{ key: SortKey; direction: SortDirection }>({
    key: 'controllerId',
    direction: 'ascending',
  });
  const [activeId, setActiveId] = useState<string>();

  const counts = useMemo(() => phaseCounts(snapshot.devices), [snapshot]);
  const rows = useMemo(
    () => sortDevices(filterDevices(snapshot.devices, { text, phase }), sort.key, sort.direction),
    [snapshot, text, phase, sort],
  );
  const active =
    activeId === undefined ? undefined : snapshot.devices.find((d) => d.controllerId === activeId);
  const onSort = (key: SortKey) =>
    setSort((old) => ({
      key,
      direction: old.key === key && old.direction === 'ascending' ? 'descending' : 'ascending',
    }));

  return (
    <>
      <p class="fleet-summary" data-testid="fleet-summary">
        <span class={live ? 'dot on' : 'dot off'} aria-hidden="true" /> {live ? 'Live' : 'Stopped'}:{' '}
        <strong data-testid="fleet-total">{snapshot.total.toLocaleString('en')}</strong> device
        {snapshot.total === 1 ? '' : 's'} polling <span class="mono">{snapshot.server}</span>
        {snapshot.startedAt > 0
          ? `, gateway up since ${new Date(snapshot.startedAt).toLocaleTimeString()}`
          : ''}
      </p>
      <fieldset class="fleet-counts">
        <legend class="visually-hidden">Devices per phase (each filters the table)</legend>
        {DEVICE_PHASES.filter((p) => counts[p] > 0 || p === phase).map((p) => (
          <button
            key={p}
            type="button"
            class={`count ${phaseTone(p)}`}
            aria-pressed={phase === p}
            data-testid={`fleet-count-${p}`}
            onClick={() => setPhase((old) => (old === p ? undefined : p))}
          >
            <span class="label">{PHASE_LABELS[p]}</span>{' '}
            <span class="n">{counts[p].toLocaleString('en')}</span>
          </button>
        ))}
      </fieldset>
      <div class="row fleet-filters">
        <div class="grow">
          <label for="fleet-filter">Filter</label>
          <input
            id="fleet-filter"
            type="search"
            data-testid="fleet-filter"
            placeholder="id, board, version, error…"
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
          />
        </div>
        <div>
          <label for="fleet-phase-filter">Phase</label>
          <select
            id="fleet-phase-filter"
            data-testid="fleet-phase-filter"
            value={phase ?? ''}
            onChange={(e) => setPhase((e.currentTarget.value || undefined) as DevicePhase | undefined)}
          >
            <option value="">All phases</option>
            {DEVICE_PHASES.map((p) => (
              <option key={p} value={p}>
                {PHASE_LABELS[p]} ({counts[p]})
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="fleet-sort">Sort by</label>
          <select
            id="fleet-sort"
            data-testid="fleet-sort"
            value={`${sort.key} ${sort.direction}`}
            onChange={(e) => {
              const [key, direction] = e.currentTarget.value.split(' ') as [SortKey, SortDirection];
              setSort({ key, direction });
            }}
          >
            {SORT_KEYS.flatMap((key) =>
              (['ascending', 'descending'] as const).map((direction) => (
                <option key={`${key} ${direction}`} value={`${key} ${direction}`}>
                  {SORT_LABELS[key]} {direction === 'ascending' ? '↑' : '↓'}
                </option>
              )),
            )}
          </select>
        </div>
      </div>
      <p class="hint" data-testid="fleet-shown" role="status" aria-live="polite">
        {shownText(rows.length, snapshot.devices.length, snapshot.total)}
      </p>
      <FleetTable rows={rows} sort={sort} onSort={onSort} activeId={activeId} onActive={setActiveId} />
      {active ? (
        <DeviceDetails device={active} />
      ) : (
        <p class="hint">Pick a row (or focus the table and use the arrow keys) to see a device's details.</p>
      )}
    </>
  );
}

function DeviceDetails({ device }: { device: FleetDevice }) {
  const fb = device.lastFeedback;
  return (
    <section
      class="fleet-details"
      aria-label={`Details of ${device.controllerId}`}
      data-testid="fleet-details"
    >
      <h3 class="mono">{device.controllerId}</h3>
      <dl class="fleet-facts">
        <dt>Link</dt>
        <dd>{device.link}</dd>
        {device.board ? (
          <>
            <dt>Board</dt>
            <dd>{device.board}</dd>
          </>
        ) : null}
        <dt>Running</dt>
        <dd>{versionText(device) || 'unknown'}</dd>
        <dt>Phase</dt>
        <dd>{PHASE_LABELS[device.phase]}</dd>
        {device.target ? (
          <>
            <dt>Update to</dt>
            <dd>
              {device.target.name} {device.target.version}
              {device.actionId ? ` (hawkBit action ${device.actionId})` : ''}
            </dd>
          </>
        ) : null}
        {device.progress ? (
          <>
            <dt>Sent</dt>
            <dd>
              {device.progress.sent.toLocaleString('en')} of {device.progress.total.toLocaleString('en')}{' '}
              bytes
            </dd>
          </>
        ) : null}
        {fb ? (
          <>
            <dt>Last feedback</dt>
            <dd>
              {feedbackWords({ ...device, lastFeedback: { ...fb, details: [] } })}
              {fb.details && fb.details.length > 0 ? (
                <ul>
                  {fb.details.map((line, i) => (
                    <li key={i}>{line}</li>
                  ))}
                </ul>
              ) : null}
            </dd>
          </>
        ) : null}
        {device.error ? (
          <>
            <dt>Error</dt>
            <dd class="error-text" data-testid="fleet-details-error">
              {device.error}
            </dd>
          </>
        ) : null}
        <dt>Last change</dt>
        <dd>{new Date(device.updatedAt).toLocaleTimeString()}</dd>
      </dl>
    </section>
  );
}

/** The page's own origin when a web server (a gateway, most likely) served it. */
function ownOrigin(): string | undefined {
  const { protocol, origin } = window.location;
  return protocol === 'http:' || protocol === 'https:' ? origin : undefined;
}
