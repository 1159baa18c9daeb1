/** The pure risk layer: plain inputs in, verdicts and estimates out; no I/O. */
export * from './cn2020County';
export * from './rulesets';
export * from './importRisk';
export * from './activeCases';
export { addDays, daysBetween, isIsoDate, trailingWindow } from './dates';
