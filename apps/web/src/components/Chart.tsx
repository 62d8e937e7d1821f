// One ECharts chart as a React component, for every chart of the web app (surveys now, insights
// next). ECharts is imported piece by piece (echarts/core plus the charts and components below,
// drawn by the SVG renderer) so a lazy page that charts pays only for what it draws (about 180 KB
// gzipped for these, in the lazy chunks that chart, never the first load): register a new chart
// type or component (legend, dataZoom, …) here, and in ChartOption, when a page needs one. The chart is an image to assistive technology, named by
// `label`, followed by its figures as a visually hidden table (or a summary sentence).
import { useEffect, useRef } from 'react';
import { VisuallyHidden } from '@mantine/core';
import { BarChart, LineChart, ScatterChart, type BarSeriesOption, type LineSeriesOption, type ScatterSeriesOption } from 'echarts/charts';
import { GridComponent, TooltipComponent, type GridComponentOption, type TooltipComponentOption } from 'echarts/components';
import { init, use, type ComposeOption, type ECharts } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

use([BarChart, LineChart, ScatterChart, GridComponent, TooltipComponent, SVGRenderer]);

/** The options the registered pieces understand (a typo in a series type or a component is a compile error). */
export type ChartOption = ComposeOption<BarSeriesOption | LineSeriesOption | ScatterSeriesOption | GridComponentOption | TooltipComponentOption>;

/** The chart's figures for screen readers (and anyone who would rather read a table). */
export type ChartTable = { caption: string; columns: string[]; rows: Array<Array<string | number | null>> };

export type ChartProps = {
  /** The whole picture (replaced, not merged, when it changes): memoise it, or every render redraws. */
  option: ChartOption;
  /** What the chart shows, as its accessible name ("NPS by week with its 95 % interval"). */
  label: string;
  table?: ChartTable;
  /** A sentence for a chart whose figures a table would not help with. */
  summary?: string;
  height?: number;
  /** ECharts events by name (`click`, `legendselectchanged`, …), e.g. to drill into a bar: memoise it too. */
  onEvents?: Record<string, (params: unknown) => void>;
  testId?: string;
};

export function Chart({ option, label, table, summary, height = 260, onEvents, testId }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<ECharts | null>(null);

  // Init on mount, dispose on unmount; follow the container's size (the layout, not the window).
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const c = init(el, null, { renderer: 'svg' });
    chart.current = c;
    const observer = new ResizeObserver(() => c.resize());
    observer.observe(el);
    return () => {
      observer.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    // notMerge: the option is the whole picture (a series dropped from it leaves the chart).
    chart.current?.setOption({ animation: false, ...option }, { notMerge: true });
  }, [option]);

  useEffect(() => {
    const c = chart.current;
    if (!c || !onEvents) return;
    const handlers = Object.entries(onEvents);
    for (const [name, fn] of handlers) c.on(name, fn);
    return () => {
      for (const [name, fn] of handlers) c.off(name, fn);
    };
  }, [onEvents]);

  return (
    <figure style={{ margin: 0 }} data-testid={testId}>
      <div ref={box} role="img" aria-label={label} style={{ width: '100%', height }} />
      {table ? (
        <VisuallyHidden>
          <table>
            <caption>{table.caption}</caption>
            <thead>
              <tr>
                {table.columns.map((c) => (
                  <th key={c} scope="col">
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {table.rows.map((row, i) => (
                <tr key={i}>
                  {row.map((cell, j) =>
                    j === 0 ? (
                      <th key={j} scope="row">
                        {cell ?? '—'}
                      </th>
                    ) : (
                      <td key={j}>{cell ?? '—'}</td>
                    ),
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </VisuallyHidden>
      ) : null}
      {summary ? <VisuallyHidden>{summary}</VisuallyHidden> : null}
    </figure>
  );
}
