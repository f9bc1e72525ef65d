/**
 * The fleet's devices as a windowed table: only the rows in sight (plus a few) are in the DOM,
 * between two spacer rows that keep the scroll height, so 10,000 devices scroll and update as fast
 * as 10. Keyboard: each row's id is a button, one of them in the tab order (roving tabindex); the
 * arrows, Page Up/Down, Home and End move to another row (its details show below the table); the
 * column headers are buttons that sort. aria-rowcount/aria-rowindex tell a screen reader where in
 * the whole list a row is.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import {
  type FleetDevice,
  feedbackWords,
  PHASE_LABELS,
  phaseTone,
  progressFraction,
  progressText,
  SORT_LABELS,
  type SortDirection,
  type SortKey,
  versionText,
} from '../model/fleet-table.ts';

/** Row heights in px: one line on a wide screen, two on a phone (the CSS matches: .fleet-table). */
const ROW_HEIGHT_WIDE = 40;
const ROW_HEIGHT_NARROW = 64;
const NARROW_QUERY = '(max-width: 700px)';
/** Rows drawn beyond the visible ones, so a fast scroll shows no gap. */
const OVERSCAN = 8;
/** The sortable columns (the last change sorts from the view's sort menu: it has no column). */
const COLUMNS: readonly SortKey[] = ['controllerId', 'link', 'board', 'version', 'phase', 'progress'];

export interface FleetTableProps {
  readonly rows: readonly FleetDevice[];
  readonly sort: { readonly key: SortKey; readonly direction: SortDirection };
  readonly onSort: (key: SortKey) => void;
  readonly activeId: string | undefined;
  readonly onActive: (controllerId: string) => void;
}

function useNarrow(): boolean {
  const [narrow, setNarrow] = useState(() => window.matchMedia(NARROW_QUERY).matches);
  useEffect(() => {
    const query = window.matchMedia(NARROW_QUERY);
    const changed = () => setNarrow(query.matches);
    query.addEventListener('change', changed);
    return () => query.removeEventListener('change', changed);
  }, []);
  return narrow;
}

export function FleetTable(props: FleetTableProps) {
  const { rows, activeId } = props;
  const narrow = useNarrow();
  const rowHeight = narrow ? ROW_HEIGHT_NARROW : ROW_HEIGHT_WIDE;
  const scroller = useRef<HTMLDivElement>(null);
  const head = useRef<HTMLTableSectionElement>(null);
  const table = useRef<HTMLTableElement>(null);
  const [view, setView] = useState({ top: 0, height: 480, head: 0 });
  /**
   * The row a key moved to: its button takes focus once it is drawn (a render for an earlier
   * state, such as the focus that came before the key, must not take it).
   */
  const focusPending = useRef<string | undefined>(undefined);

  const measure = () => {
    const el = scroller.current;
    if (!el) return;
    const next = { top: el.scrollTop, height: el.clientHeight, head: head.current?.offsetHeight ?? 0 };
    setView((old) =>
      old.top === next.top && old.height === next.height && old.head === next.head ? old : next,
    );
  };
  useLayoutEffect(measure, [narrow, rows.length]);
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    let frame = 0;
    const onScroll = () => {
      if (frame === 0) {
        frame = requestAnimationFrame(() => {
          frame = 0;
          measure();
        });
      }
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    const resized = new ResizeObserver(() => measure());
    resized.observe(el);
    return () => {
      el.removeEventListener('scroll', onScroll);
      resized.disconnect();
      if (frame !== 0) cancelAnimationFrame(frame);
    };
  }, []);

  const activeIndex = activeId === undefined ? -1 : rows.findIndex((d) => d.controllerId === activeId);
  // The row in the tab order: the current one, else the first.
  const tabIndexRow = Math.max(activeIndex, 0);
  const first = Math.max(0, Math.floor((view.top - view.head) / rowHeight) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((view.top + view.height) / rowHeight) + OVERSCAN);

  useEffect(() => {
    const id = focusPending.current;
    if (id === undefined || activeId !== id) return;
    const button = scroller.current?.querySelector<HTMLButtonElement>(`#${rowDomId(id)} button`);
    if (button) {
      focusPending.current = undefined;
      button.focus({ preventScroll: true });
    }
  });

  /** Scrolls so row `index` is in sight below the sticky header. */
  const reveal = (index: number) => {
    const el = scroller.current;
    if (!el) return;
    const top = index * rowHeight;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + rowHeight + view.head > el.scrollTop + el.clientHeight) {
      el.scrollTop = top + rowHeight + view.head - el.clientHeight;
    }
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (rows.length === 0) return;
    const page = Math.max(1, Math.floor((view.height - view.head) / rowHeight) - 1);
    const from = activeIndex < 0 ? -1 : activeIndex;
    let to: number;
    switch (event.key) {
      case 'ArrowDown':
        to = from + 1;
        break;
      case 'ArrowUp':
        to = from < 0 ? 0 : from - 1;
        break;
      case 'PageDown':
        to = from + page;
        break;
      case 'PageUp':
        to = from - page;
        break;
      case 'Home':
        to = 0;
        break;
      case 'End':
        to = rows.length - 1;
        break;
      default:
        return;
    }
    event.preventDefault();
    const index = Math.min(rows.length - 1, Math.max(0, to));
    const id = rows[index]!.controllerId;
    props.onActive(id);
    const drawn = scroller.current?.querySelector<HTMLButtonElement>(`#${rowDomId(id)} button`);
    if (drawn) drawn.focus({ preventScroll: true });
    else {
      // The row is not drawn yet: hold focus on the table's frame (keys still reach this
      // handler) until it is, rather than lose it to the page when the focused row goes.
      focusPending.current = id;
      table.current?.focus({ preventScroll: true });
    }
    reveal(index);
  };

  return (
    <div class={narrow ? 'fleet-scroll narrow' : 'fleet-scroll'} ref={scroller}>
      <table
        class="fleet-table"
        data-testid="fleet-table"
        aria-rowcount={rows.length + 1}
        ref={table}
        tabIndex={-1}
        onKeyDown={onKeyDown}
      >
        <caption class="visually-hidden">
          Devices of the fleet; use the arrow keys on a device to move between devices
        </caption>
        <thead ref={head}>
          <tr aria-rowindex={1}>
            {COLUMNS.map((key) => (
              <th
                key={key}
                scope="col"
                class={`c-${key}`}
                aria-sort={props.sort.key === key ? props.sort.direction : 'none'}
              >
                <button type="button" data-testid={`fleet-sort-${key}`} onClick={() => props.onSort(key)}>
                  {SORT_LABELS[key]}
                  <span aria-hidden="true" class="sort-mark">
                    {props.sort.key === key ? (props.sort.direction === 'ascending' ? '▲' : '▼') : ''}
                  </span>
                </button>
              </th>
            ))}
            <th scope="col" class="c-feedback">
              Last feedback
            </th>
          </tr>
        </thead>
        <tbody>
          {first > 0 ? <tr class="spacer" style={{ height: `${first * rowHeight}px` }} /> : null}
          {rows.slice(first, last).map((device, offset) => {
            const index = first + offset;
            return (
              <FleetRow
                key={device.controllerId}
                device={device}
                index={index}
                active={index === activeIndex}
                inTabOrder={index === tabIndexRow}
                onPick={() => props.onActive(device.controllerId)}
              />
            );
          })}
          {last < rows.length ? (
            <tr class="spacer" style={{ height: `${(rows.length - last) * rowHeight}px` }} />
          ) : null}
        </tbody>
      </table>
      {rows.length === 0 ? (
        <p class="hint fleet-empty" data-testid="fleet-empty">
          No device matches.
        </p>
      ) : null}
    </div>
  );
}

export function rowDomId(controllerId: string): string {
  return `fleet-row-${encodeURIComponent(controllerId).replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

function FleetRow(props: {
  device: FleetDevice;
  index: number;
  active: boolean;
  inTabOrder: boolean;
  onPick: () => void;
}) {
  const { device } = props;
  const fraction = progressFraction(device);
  const words = device.error ?? feedbackWords(device) ?? targetWords(device);
  return (
    <tr
      class={
        [props.active ? 'active' : '', fraction === undefined ? 'no-progress' : ''].join(' ').trim() ||
        undefined
      }
      id={rowDomId(device.controllerId)}
      aria-rowindex={props.index + 2}
      aria-selected={props.active}
      data-testid="fleet-row"
      data-controller-id={device.controllerId}
      data-phase={device.phase}
    >
      <td class="c-controllerId">
        <button
          type="button"
          class="row-pick mono"
          tabIndex={props.inTabOrder ? 0 : -1}
          title={device.controllerId}
          onClick={props.onPick}
          onFocus={props.onPick}
        >
          {device.controllerId}
        </button>
      </td>
      <td class="c-link" title={device.link}>
        {device.link}
      </td>
      <td class="c-board">{device.board ?? ''}</td>
      <td class="c-version" data-testid="fleet-version">
        {versionText(device)}
      </td>
      <td class="c-phase">
        <span class={`phase ${phaseTone(device.phase)}`} data-testid="fleet-phase">
          {PHASE_LABELS[device.phase]}
        </span>
      </td>
      <td class="c-progress">
        <span class="progress-cell">
          {fraction === undefined ? null : (
            <span class="bar" aria-hidden="true">
              <span class="fill" style={{ width: `${fraction * 100}%` }} />
            </span>
          )}
          <span class="pct">{progressText(device)}</span>
        </span>
      </td>
      <td class={device.error ? 'c-feedback error' : 'c-feedback'} title={words} data-testid="fleet-feedback">
        {words}
      </td>
    </tr>
  );
}

function targetWords(device: FleetDevice): string {
  return device.target ? `to ${device.target.name} ${device.target.version}` : '';
}
