/**
 * A live line chart of stat fields over time, drawn by uPlot: made once per set of fields, fed new
 * data on every poll, resized with its container.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];
const HEIGHT = 260;

export function StatChart(props: {
  title: string;
  fields: readonly string[];
  data: [number[], ...Array<Array<number | null>>];
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const fieldsKey = props.fields.join('\n');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const options: uPlot.Options = {
      title: props.title,
      width: Math.max(200, el.clientWidth),
      height: HEIGHT,
      scales: { x: { time: true } },
      axes: [{}, { size: 60 }],
      series: [
        {},
        ...props.fields.map((name, i) => ({
          label: name,
          stroke: COLOURS[i % COLOURS.length]!,
          width: 2,
          points: { show: false },
        })),
      ],
    };
    const chart = new uPlot(options, props.data, el);
    plot.current = chart;
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
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
