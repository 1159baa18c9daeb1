/** The pure risk layer: plain inputs in, verdicts and estimates out; no I/O. */
export * from './cn2020County';
export * from './rulesets';
export * from './importRisk';
export * from './activeCases';
export * from './forecast';
export * from './observedExpected';
export * from './national';
export { addDays, daysBetween, isIsoDate, trailingWindow } from './dates';
export * from './calibration';
