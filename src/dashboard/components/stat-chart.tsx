/**
 * A live line chart of stat fields over time, drawn by uPlot (loaded with the first chart, as the
 * other views do not need it): made once per set of fields, fed new data on every poll, resized
 * with its container.
 */
import { useEffect, useRef } from 'preact/hooks';
import type uPlot from 'uplot';

const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];
const HEIGHT = 260;

type ChartData = [number[], ...Array<Array<number | null>>];

/** Draws the chart into `el`; returns what undoes it. */
function draw(
  UPlot: typeof uPlot,
  el: HTMLDivElement,
  title: string,
  fields: readonly string[],
  data: ChartData,
) {
  const options: uPlot.Options = {
    title,
    width: Math.max(200, el.clientWidth),
    height: HEIGHT,
    scales: { x: { time: true } },
    axes: [{}, { size: 60 }],
    series: [
      {},
      ...fields.map((name, i) => ({
        label: name,
        stroke: COLOURS[i % COLOURS.length]!,
        width: 2,
        points: { show: false },
      })),
    ],
  };
  const chart = new UPlot(options, data, el);
  const resize = new ResizeObserver(() =>
    chart.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }),
  );
  resize.observe(el);
  return {
    chart,
    destroy: () => {
      resize.disconnect();
      chart.destroy();
    },
  };
}

export function StatChart(props: { title: string; fields: readonly string[]; data: ChartData }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const latest = useRef(props.data);
  latest.current = props.data;
  const fieldsKey = props.fields.join('\n');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let gone = false;
    let destroy: (() => void) | undefined;
    void import('./uplot.ts').then(({ uPlot: UPlot }) => {
      if (gone) return;
      const made = draw(UPlot, el, props.title, props.fields, latest.current);
      plot.current = made.chart;
      destroy = made.destroy;
    });
    return () => {
      gone = true;
      destroy?.();
      plot.current = undefined;
    };
  }, [fieldsKey, props.title]);

  useEffect(() => {
    plot.current?.setData(props.data);
  }, [props.data]);

  return (
    <div class="chart" ref={box} data-testid="stat-chart" role="img" aria-label={`Chart of ${props.title}`} />
  );
}
