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
    // One poll has min = max, which uPlot widens by years (an empty chart dated 2027–2029): give
    // a single sample a minute's span around it instead.
    scales: { x: { time: true, range: (_u, min, max) => (min === max ? [min - 30, max + 30] : [min, max]) } },
    axes: [{}, { size: 60 }],
    series: [
      {},
      ...fields.map((name, i) => ({
        label: name,
        stroke: COLOURS[i % COLOURS.length]!,
        width: 2,
        // Points too, so the first polls show before there is a line to draw.
        points: { show: true, size: 4 },
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
