import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart } from 'echarts/charts';
import { GridComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

// Only the parts the dashboard draws: the bundle stays a fraction of the full echarts build.
echarts.use([BarChart, GridComponent, TooltipComponent, CanvasRenderer]);

export { echarts };

/**
 * An ECharts instance bound to a div: created once, given each new option, resized with its box,
 * disposed with the component. `onClick` receives the clicked item's name.
 */
export function useECharts(option: echarts.EChartsCoreOption, onClick?: (name: string) => void) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const click = useRef(onClick);
  click.current = onClick;
  useEffect(() => {
    const el = ref.current!;
    const instance = echarts.init(el);
    chart.current = instance;
    instance.on('click', (p) => click.current?.(String((p as { name?: unknown }).name ?? '')));
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(el);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true });
  }, [option]);
  return ref;
}
