/** uPlot and its stylesheet, as one module the chart loads when a chart is first shown. */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export { uPlot };
