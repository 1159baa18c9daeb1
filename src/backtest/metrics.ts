/**
 * Scores of a probabilistic classifier, written out here rather than taken from a package: each is
 * a few lines, and the backtest's figures should not depend on a library's tie or binning rules.
 */

/**
 * ROC AUC: the chance that a random positive scores above a random negative, ties counting one
 * half (Mann–Whitney U with mid-ranks). NaN when there are no positives or no negatives.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  if (labels.length !== n) throw new Error(`rocAuc: ${n} scores but ${labels.length} labels`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const midRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) {
      if (labels[order[k]]) {
        positives++;
        rankSum += midRank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Share of positives among the k highest scores; ties at the cut are broken by index (the caller's
 * order, e.g. county code), so the figure is deterministic. With fewer than k items, all are taken.
 */
export function precisionAtK(scores: ArrayLike<number>, labels: ArrayLike<number>, k: number): number {
  const n = scores.length;
  if (n === 0) return NaN;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const top = order.slice(0, Math.min(k, n));
  return top.reduce((hits, i) => hits + (labels[i] ? 1 : 0), 0) / top.length;
}

/** Mean squared difference between predicted probability and outcome (0 perfect; 0.25 for always ½). */
export function brierScore(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < probabilities.length; i++) sum += (probabilities[i] - (labels[i] ? 1 : 0)) ** 2;
  return sum / probabilities.length;
}

export interface CalibrationBin {
  /** Number of predictions in the bin. */
  n: number;
  minPredicted: number;
  maxPredicted: number;
  meanPredicted: number;
  /** Share of the bin's predictions whose outcome was positive. */
  observedRate: number;
}

/**
 * Reliability table: predictions sorted by probability and cut into `bins` groups of (nearly) equal
 * size; a calibrated model has meanPredicted ≈ observedRate in every bin.
 */
export function calibrationBins(probabilities: ArrayLike<number>, labels: ArrayLike<number>, bins = 10): CalibrationBin[] {
  const n = probabilities.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => probabilities[a] - probabilities[b]);
  const result: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    const from = Math.floor((b * n) / bins);
    const to = Math.floor(((b + 1) * n) / bins);
    if (to <= from) continue;
    let predicted = 0;
    let observed = 0;
    for (let k = from; k < to; k++) {
      predicted += probabilities[order[k]];
      observed += labels[order[k]] ? 1 : 0;
    }
    result.push({
      n: to - from,
      minPredicted: probabilities[order[from]],
      maxPredicted: probabilities[order[to - 1]],
      meanPredicted: predicted / (to - from),
      observedRate: observed / (to - from),
    });
  }
  return result;
}

/** Reliability table over fixed probability bands [edges[i], edges[i+1]) (the last band is closed); empty bands are left out. */
export function calibrationByBands(probabilities: ArrayLike<number>, labels: ArrayLike<number>, edges: readonly number[]): CalibrationBin[] {
  const bins = edges.slice(0, -1).map(() => ({ n: 0, min: Infinity, max: -Infinity, sum: 0, positives: 0 }));
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i];
    let b = edges.findIndex((e, k) => k < edges.length - 1 && p >= e && (p < edges[k + 1] || k === edges.length - 2));
    if (b < 0) b = p < edges[0] ? 0 : bins.length - 1;
    const bin = bins[b];
    bin.n++;
    bin.sum += p;
    bin.positives += labels[i] ? 1 : 0;
    bin.min = Math.min(bin.min, p);
    bin.max = Math.max(bin.max, p);
  }
  return bins
    .filter((b) => b.n > 0)
    .map((b) => ({ n: b.n, minPredicted: b.min, maxPredicted: b.max, meanPredicted: b.sum / b.n, observedRate: b.positives / b.n }));
}
