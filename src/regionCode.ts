import { badInput } from './errors';

const REGION_CODE = /^[0-9]{6}$/;

/** A region code argument must be six digits; anything else is a client error, not "not found". */
export function parseRegionCode(code: string, argument = 'code'): string {
  if (typeof code !== 'string' || !REGION_CODE.test(code)) {
    const shown = typeof code === 'string' ? JSON.stringify(code.slice(0, 20)) : typeof code;
    throw badInput(`"${argument}" must be a six-digit GB/T 2260 region code such as "420106", got ${shown}`, argument);
  }
  return code;
}
