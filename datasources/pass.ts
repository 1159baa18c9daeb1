import type { PersonSource, PersonRecord } from './person';
import type { MobilitySource, StayRow } from './mobility';
import type { RegionSource } from './region';
import type { RiskService } from './risk';
import type { PassRegistry } from './passRegistry';
import type { AuditLog } from '../src/auth/audit';
import type { PassSigner } from '../src/pass/token';
import { passValidUntil } from '../src/pass/token';
import { passColor, PASS_WINDOW_DAYS, type PassColor, type PassColorVerdict } from '../src/risk/passColor';
import type { RiskLevel } from '../src/risk';
import { addDays } from '../src/risk/dates';
import { cstDaysCovered, todayCst } from '../src/clock';
import { maskName } from '../src/privacy/mask';
import { Loader } from './loader';

export type PassStatus = 'VALID' | 'INVALID' | 'EXPIRED' | 'REVOKED';

/** What a partner learns from a check: colour, validity and a masked name, nothing else. */
export interface PassCheckResult {
  token: string;
  status: PassStatus;
  color: PassColor | null;
  holderName: string | null;
  validUntil: Date | null;
  asOf: Date;
}

/**
 * Pass colours and checks: the federation at work. A colour needs the person's case records and
 * contacts (case source), itinerary (mobility source) and each county's risk on each day of each
 * stay (region + case sources, rated by the pure rule). Every read goes through the per-request
 * loaders, so a batch of 1,000 tokens costs the same number of statements as one.
 */
export class PassService {
  /** Today's colour verdict per person, batched and memoised for the request. */
  readonly colorOf: Loader<string, PassColorVerdict>;

  constructor(
    private readonly persons: PersonSource,
    private readonly mobility: MobilitySource,
    private readonly regions: RegionSource,
    private readonly risk: RiskService,
    private readonly registry: PassRegistry,
    private readonly signer: PassSigner,
    private readonly audit: AuditLog,
  ) {
    this.colorOf = new Loader((ids) => this.colors(ids), (id) => id);
  }

  /** Colour verdicts for persons, computed now (asOf = today CST), with reasons in words. */
  async colors(personIds: readonly string[], asOf: string = todayCst()): Promise<PassColorVerdict[]> {
    return (await this.evaluate(personIds, asOf, true)).verdicts;
  }

  /**
   * Verdicts and the facts behind them. Reasons name the counties of risky stays; partners never
   * see reasons, so checks skip that lookup (`withReasons` false) and send one statement less.
   */
  private async evaluate(personIds: readonly string[], asOf: string, withReasons: boolean) {
    const windowStart = addDays(asOf, -(PASS_WINDOW_DAYS - 1));
    const since = `${windowStart}T00:00:00+08:00`;
    const [facts, stays] = await Promise.all([
      this.persons.passFacts.loadAll(personIds.map((personId) => ({ personId, since: windowStart }))),
      this.mobility.staysByPerson.loadAll(personIds.map((personId) => ({ personId, since }))),
    ]);
    // Only the days of a stay inside the window count; each needs that county's level on that day.
    const stayDays = stays.map((list) =>
      list.map((s) => ({ stay: s, days: cstDaysCovered(s.arrivedAt, s.leftAt).filter((d) => d >= windowStart && d <= asOf) })),
    );
    const levelKeys = new Map<string, { code: string; day: string }>();
    for (const list of stayDays) for (const { stay, days } of list) for (const day of days) levelKeys.set(`${stay.regionCode}|${day}`, { code: stay.regionCode, day });
    const codes = [...new Set(stays.flat().map((s) => s.regionCode))];
    const [regions, levels] = await Promise.all([
      withReasons ? this.regions.byCode.loadAll(codes) : Promise.resolve([]),
      Promise.all([...levelKeys.values()].map((k) => this.risk.countyLevel(k.code, k.day))),
    ]);
    const nameOf = new Map(codes.map((c, i) => [c, regions[i]?.name ?? c]));
    const levelOf = new Map<string, RiskLevel>([...levelKeys.keys()].map((k, i) => [k, levels[i]]));
    const verdicts = personIds.map((_, i) =>
      passColor({
        asOf,
        cases: facts[i]?.activeCases ?? [],
        contacts: (facts[i]?.exposures ?? []).map((exposureDate) => ({ exposureDate })),
        stays: stayDays[i].map(({ stay, days }) => ({
          regionName: nameOf.get(stay.regionCode) ?? stay.regionCode,
          days: days.map((date) => ({ date, level: levelOf.get(`${stay.regionCode}|${date}`) ?? 'LOW' })),
        })),
      }),
    );
    return { verdicts, facts };
  }

  /** Issues today's pass for a matched person: registers it, signs it, colours it, audits it. */
  async issue(person: PersonRecord, now: Date = new Date()) {
    const record = await this.registry.issue(person.id, now, passValidUntil(now));
    const [token, [verdict]] = await Promise.all([
      this.signer.sign({ passId: record.id, issuedAt: record.issuedAt, validUntil: record.validUntil }),
      this.colors([person.id]),
    ]);
    await this.audit.record({ operation: 'issuePass', subjectPersonId: person.id, outcome: verdict.color });
    return { token, color: verdict.color, reason: verdict.reason, issuedAt: record.issuedAt, validUntil: record.validUntil };
  }

  /** Checks tokens in order; a bad token is an INVALID item. Every check is audited. */
  async check(tokens: readonly string[], now: Date = new Date()): Promise<PassCheckResult[]> {
    const verified = await Promise.all(tokens.map((t) => this.signer.verify(t, now)));
    const passIds = verified.map((v) => (v.status === 'INVALID' ? null : v.passId));
    const records = await this.registry.byId.loadAll([...new Set(passIds.filter((id): id is string => id != null))]);
    const recordById = new Map(records.filter((r) => r != null).map((r) => [r!.id, r!]));

    const statuses: PassStatus[] = verified.map((v, i) => {
      const record = passIds[i] == null ? undefined : recordById.get(passIds[i]!);
      if (v.status === 'INVALID' || !record) return 'INVALID';
      if (record.revokedAt) return 'REVOKED';
      return v.status;
    });
    const validPersons = [...new Set(statuses.flatMap((s, i) => (s === 'VALID' ? [recordById.get(passIds[i]!)!.personId] : [])))];
    const { verdicts, facts } = await this.evaluate(validPersons, todayCst(now), false);
    const personIndex = new Map(validPersons.map((id, i) => [id, i]));

    const results = tokens.map((token, i): PassCheckResult => {
      const record = passIds[i] == null ? undefined : recordById.get(passIds[i]!);
      const status = statuses[i];
      const k = status === 'VALID' ? personIndex.get(record!.personId)! : -1;
      return {
        token,
        status,
        color: k >= 0 ? verdicts[k].color : null,
        holderName: k >= 0 && facts[k] ? maskName(facts[k]!.name) : null,
        validUntil: status === 'INVALID' ? null : (record?.validUntil ?? null),
        asOf: now,
      };
    });
    await this.audit.recordMany(
      results.map((r, i) => ({
        operation: 'checkPass',
        subjectPersonId: recordById.get(passIds[i] ?? '')?.personId ?? null,
        outcome: r.status === 'VALID' ? `VALID:${r.color}` : r.status,
      })),
    );
    return results;
  }
}
