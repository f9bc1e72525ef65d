/**
 * Stats: the device's statistics groups (`zdfu stat list` / `stat show`), polled while the view is
 * open and drawn as a live chart, with each counter's value and its rise per second.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { Problem } from '../components/problem.tsx';
import { ViewSection } from '../components/section.tsx';
import { StatChart } from '../components/stat-chart.tsx';
import { useTask } from '../components/use-task.ts';
import type { Connection } from '../connect/connection.ts';
import { problemText } from '../model/problem.ts';
import { StatSeries } from '../model/stat-series.ts';

const INTERVALS_MS = [500, 1000, 2000, 5000];
const PREFERRED_GROUP = 'smp_server_stats';

export function StatsView({ connection }: { connection: Connection }) {
  const groups = useTask<string[]>();
  const [group, setGroup] = useState<string>();
  const [running, setRunning] = useState(true);
  const [intervalMs, setIntervalMs] = useState(1000);
  const [error, setError] = useState<string>();
  const series = useRef(new StatSeries(120));
  const [, setVersion] = useState(0);

  useEffect(() => {
    void groups.run(async () => {
      const names = (await connection.device.statList()).sort();
      setGroup((current) => current ?? (names.includes(PREFERRED_GROUP) ? PREFERRED_GROUP : names[0]));
      return names;
    });
  }, [connection]);

  useEffect(() => {
    series.current.clear();
    setVersion((v) => v + 1);
  }, [group]);

  useEffect(() => {
    if (!running || group === undefined) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const stat = await connection.device.statShow(group, {
          timeoutMs: Math.max(1000, intervalMs * 2),
          retries: 0,
        });
        if (stopped) return;
        series.current.add({ atSeconds: Date.now() / 1000, fields: stat.fields });
        setError(undefined);
        setVersion((v) => v + 1);
      } catch (caught) {
        if (!stopped) setError(problemText(caught));
      }
      // The next poll waits for this one: a slow link never piles requests up.
      if (!stopped) timer = setTimeout(poll, intervalMs);
    };
    void poll();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [connection, group, running, intervalMs]);

  const names = groups.result ?? [];
  const data = series.current;
  const latest = data.latest();
  return (
    <ViewSection
      id="stats"
      title="Statistics"
      actions={
        <button
          type="button"
          data-testid="stats-toggle"
          aria-pressed={running}
          onClick={() => setRunning((r) => !r)}
        >
          {running ? 'Pause' : 'Resume'}
        </button>
      }
    >
      <Problem text={groups.error ?? error} />
      {groups.result && names.length === 0 ? <p class="hint">The device has no statistics groups.</p> : null}
      <div class="row">
        <label>
          Group
          <select
            data-testid="stats-group"
            value={group ?? ''}
            disabled={names.length === 0}
            onChange={(e) => setGroup(e.currentTarget.value)}
          >
            {names.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Every
          <select
            data-testid="stats-interval"
            value={String(intervalMs)}
            onChange={(e) => setIntervalMs(Number(e.currentTarget.value))}
          >
            {INTERVALS_MS.map((ms) => (
              <option key={ms} value={String(ms)}>
                {ms < 1000 ? `${ms} ms` : `${ms / 1000} s`}
              </option>
            ))}
          </select>
        </label>
      </div>
      {group !== undefined && data.length > 0 ? (
        <>
          <StatChart key={group} title={group} fields={data.fieldNames()} data={data.data()} />
          <div class="table-wrap">
            <table data-testid="stats-table">
              <caption>Latest values of {group}</caption>
              <thead>
                <tr>
                  <th scope="col">Counter</th>
                  <th scope="col" class="num">
                    Value
                  </th>
                  <th scope="col" class="num">
                    Per second
                  </th>
                </tr>
              </thead>
              <tbody>
                {latest.map((row) => (
                  <tr key={row.name} data-testid={`stat-${row.name}`}>
                    <td>{row.name}</td>
                    <td class="num">{row.value ?? '–'}</td>
                    <td class="num">{row.perSecond === undefined ? '–' : row.perSecond.toFixed(1)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </ViewSection>
  );
}
