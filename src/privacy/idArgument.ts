import { badInput } from '../errors';
import { checkResidentId } from './residentId';
import { hashIdNumber } from './idHash';

/**
 * An `idNumber` argument: validated (the error names the rule that failed and never echoes the
 * number), normalised, and turned into its keyed hash, the only form that reaches the database.
 */
export function idHashOf(idNumber: string, secret: string, argument = 'idNumber'): Buffer {
  const check = checkResidentId(idNumber);
  if (!check.ok) throw badInput(`"${argument}" is not a valid resident ID number: ${check.message}`, argument);
  return hashIdNumber(check.idNumber, secret);
}

/** Names match when equal after trimming (ID cards carry one canonical form). */
export function sameName(given: string, recorded: string): boolean {
  return given.trim() === recorded.trim() && given.trim().length > 0;
}
