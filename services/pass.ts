import type { PersonSource, PersonRecord } from '../datasources/person';
import type { MobilitySource, StayRow } from '../datasources/mobility';
import type { RegionSource } from '../datasources/region';
import type { RiskService } from './risk';
import type { PassRegistry } from '../datasources/passRegistry';
import type { AuditLog } from './audit';
import type { PassSigner } from '../src/pass/token';
import { passValidUntil } from '../src/pass/token';
import { passColor, PASS_WINDOW_DAYS, type PassColor, type PassColorVerdict } from '../src/risk/passColor';
import type { RiskLevel } from '../src/risk';
import { addDays } from '../src/risk/dates';
import { cstDaysCovered, todayCst } from '../src/clock';
import { maskName } from '../src/privacy/mask';
import { Loader } from '../datasources/loader';
import type { CountyLevelCache } from '../src/cache/countyLevels';
import type { PassCheckBatches } from './passChecks';
import type { StatementRecorder } from '../src/db/sql';

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

/** What a PassService works with: the request's stores and audit log, and the process-wide parts. */
export interface PassServiceDeps {
  persons: PersonSource;
  mobility: MobilitySource;
  regions: RegionSource;
  risk: RiskService;
  registry: PassRegistry;
  signer: PassSigner;
  audit: AuditLog;
  /** County levels by day, shared by the process's requests. */
  levelCache: CountyLevelCache;
  /** Process-wide batches of the check path (services/passChecks.ts)… */
  shared: PassCheckBatches;
  /** …and this request's statement counter for them. */
  recorder: StatementRecorder;
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

  private readonly persons: PersonSource;
  private readonly mobility: MobilitySource;
  private readonly regions: RegionSource;
  private readonly risk: RiskService;
  private readonly registry: PassRegistry;
  private readonly signer: PassSigner;
  private readonly audit: AuditLog;
  private readonly levelCache: CountyLevelCache;
  private readonly shared: PassCheckBatches;
  private readonly recorder: StatementRecorder;

  constructor(deps: PassServiceDeps) {
    ({
      persons: this.persons,
      mobility: this.mobility,
      regions: this.regions,
      risk: this.risk,
      registry: this.registry,
      signer: this.signer,
      audit: this.audit,
      levelCache: this.levelCache,
      shared: this.shared,
      recorder: this.recorder,
    } = deps);
    this.colorOf = new Loader((ids) => this.colors(ids), (id) => id);
  }

  /** Colour verdicts for persons, computed now (asOf = today CST), with reasons in words. */
  async colors(personIds: readonly string[], asOf: string = todayCst()): Promise<PassColorVerdict[]> {
    return (await this.evaluate(personIds, asOf, { withReasons: true, shared: false })).verdicts;
  }

  /**
   * Verdicts and the facts behind them. Reasons name the counties of risky stays; partners never
   * see reasons, so checks skip that lookup (`withReasons` false) and send one statement less.
   * Checks read facts and stays through the process-wide batches (`shared`), issuing through
   * this request's loaders.
   */
  private async evaluate(personIds: readonly string[], asOf: string, { withReasons, shared }: { withReasons: boolean; shared: boolean }) {
    const windowStart = addDays(asOf, -(PASS_WINDOW_DAYS - 1));
    const factKeys = personIds.map((personId) => ({ personId, since: windowStart }));
    const stayKeys = personIds.map((personId) => ({ personId, since: `${windowStart}T00:00:00+08:00` }));
    const [facts, stays] = await Promise.all([
      shared ? this.shared.facts.loadAll(factKeys, this.recorder) : this.persons.passFacts.loadAll(factKeys),
      shared ? this.shared.stays.loadAll(stayKeys, this.recorder) : this.mobility.staysByPerson.loadAll(stayKeys),
    ]);
    // Only the days of a stay inside the window count; each needs that county's level on that day.
    const stayDays = stays.map((list) =>
      list.map((s) => ({ stay: s, days: cstDaysCovered(s.arrivedAt, s.leftAt).filter((d) => d >= windowStart && d <= asOf) })),
    );
    const levelKeys = new Map<string, { code: string; day: string }>();
    for (const list of stayDays) for (const { stay, days } of list) for (const day of days) levelKeys.set(`${stay.regionCode}|${day}`, { code: stay.regionCode, day });
    const codes = [...new Set(stays.flat().map((s) => s.regionCode))];
    const version = facts.find((f) => f != null)?.caseDataVersion;
    const [regions, levelOf] = await Promise.all([
      withReasons ? this.regions.byCode.loadAll(codes) : Promise.resolve([]),
      this.levelsOf([...levelKeys.values()], version),
    ]);
    const nameOf = new Map(codes.map((c, i) => [c, regions[i]?.name ?? c]));
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

  /**
   * County levels on days of stays, by `code|day`: from the process-wide cache when it holds the
   * case data version that the facts statement read, else computed (one statement) and cached.
   */
  private async levelsOf(keys: { code: string; day: string }[], version: string | undefined): Promise<Map<string, RiskLevel>> {
    const out = new Map<string, RiskLevel>();
    const missing: { code: string; day: string }[] = [];
    for (const k of keys) {
      const cached = version == null ? undefined : this.levelCache.get(version, k.code, k.day);
      if (cached) out.set(`${k.code}|${k.day}`, cached);
      else missing.push(k);
    }
    if (missing.length === 0) return out;
    const levels = await Promise.all(missing.map((k) => this.risk.countyLevel(k.code, k.day)));
    const computed = missing.map((k, i) => ({ ...k, level: levels[i] }));
    for (const c of computed) out.set(`${c.code}|${c.day}`, c.level);
    if (version != null) this.levelCache.set(version, computed);
    return out;
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

  /**
   * The holder's view of one of their passes: its status, and while VALID today's colour and
   * reason under the same token. Null when the token is not a pass of this person (or not ours at
   * all): the caller answers that like a wrong name, without saying which. Audited.
   */
  async holderView(person: PersonRecord, token: string, now: Date = new Date()) {
    const verified = await this.signer.verify(token, now);
    const record = verified.status === 'INVALID' ? null : await this.registry.byId(verified.passId);
    if (!record || record.personId !== person.id) {
      await this.audit.record({ operation: 'holderPass', subjectPersonId: person.id, outcome: 'NOT_MATCHED' });
      return null;
    }
    const status: PassStatus = record.revokedAt ? 'REVOKED' : verified.status === 'EXPIRED' ? 'EXPIRED' : 'VALID';
    if (status !== 'VALID') {
      await this.audit.record({ operation: 'holderPass', subjectPersonId: person.id, outcome: status });
      return { status, pass: null };
    }
    const [verdict] = await this.colors([person.id]);
    await this.audit.record({ operation: 'holderPass', subjectPersonId: person.id, outcome: verdict.color });
    return { status, pass: { token, color: verdict.color, reason: verdict.reason, issuedAt: record.issuedAt, validUntil: record.validUntil } };
  }

  /**
   * Checks tokens in order; a bad token is an INVALID item. Every check is audited, in the same
   * statement that looks the passes up (checkAndAudit). Steady state: three statements however
   * many tokens (registry + audit, person facts, stays), the second and third sent together,
   * each shared with the checks of other requests that arrive at the same time (sharedBatch.ts);
   * county levels come from the process-wide cache of the current case data version.
   */
  async check(tokens: readonly string[], now: Date = new Date()): Promise<PassCheckResult[]> {
    // A batch may hold the same token many times: verify each distinct one once.
    const distinct = [...new Set(tokens)];
    const verifiedByToken = new Map(
      (await Promise.all(distinct.map((t) => this.signer.verify(t, now)))).map((v, i) => [distinct[i], v]),
    );
    const verified = tokens.map((t) => verifiedByToken.get(t)!);
    const checked = await this.audit.checkPasses(
      verified.map((v) => (v.status === 'INVALID' ? { passId: null, tokenStatus: 'INVALID' as const } : { passId: v.passId, tokenStatus: v.status })),
      this.shared.checks,
      this.recorder,
    );
    const validPersons = [...new Set(checked.flatMap((c) => (c.status === 'VALID' ? [c.record!.personId] : [])))];
    const { verdicts, facts } = await this.evaluate(validPersons, todayCst(now), { withReasons: false, shared: true });
    const personIndex = new Map(validPersons.map((id, i) => [id, i]));

    return tokens.map((token, i): PassCheckResult => {
      const { status, record } = checked[i];
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
  }
}
