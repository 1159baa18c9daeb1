import type { PersonRecord, PersonSource } from '../datasources/person';
import type { AuditLog } from './audit';
import type { PassService } from './pass';
import type { SelfServiceLimiter } from '../src/auth/rateLimit';
import { idHashOf, sameName } from '../src/privacy/idArgument';
import { todayCst } from '../src/clock';
import { addDays } from '../src/risk/dates';
import { PASS_WINDOW_DAYS } from '../src/risk/passColor';

const ADVICE_CONTACT = '您是密切接触者：请居家，不要外出，配合社区和疾控部门的健康监测与核酸检测；如出现发热、咳嗽等症状，请立即报告。';
const ADVICE_NONE = '未查询到您的密切接触记录。请继续做好个人防护，如有症状请及时就医。';

/** One message for "unknown ID", "wrong name" and "not this person's pass": the answer must not reveal which. */
const NOT_MATCHED = {
  field: null,
  message: '姓名与身份证号码不匹配，或暂无记录。No record matches this name and ID number.',
  code: 'NOT_MATCHED',
} as const;

/** A stand-in person id for reads of an unmatched pair: the same statements run whether or not it matched. */
const NOBODY = '00000000-0000-0000-0000-000000000000';

export interface SelfServiceDeps {
  persons: PersonSource;
  passes: PassService;
  audit: AuditLog;
  limiter: SelfServiceLimiter;
  /** Key of the hash under which ID numbers are looked up (never the number itself in SQL). */
  idHashSecret: string;
  /** Who asks, for the rate limit: the PUBLIC caller's address, or the key's id. */
  clientId: string;
}

type Lookup = { holder: PersonRecord; matched: true } | { holder: PersonRecord | null; matched: false };

/**
 * The PUBLIC self-service use-cases over name + ID number: close-contact self-check, issuing and
 * viewing one's own pass. Each is rate-limited per client and ID number and audited; an existing
 * ID number with a wrong name is recorded against its holder, so name-guessing shows in their trail.
 */
export class SelfService {
  constructor(private readonly deps: SelfServiceDeps) {}

  async closeContactCheck(name: string, idNumber: string) {
    // The same reads happen whether or not the pair matches, so timing does not tell them apart.
    const { holder, matched } = await this.lookup(name, idNumber);
    const contacts = await this.deps.persons.contactsByPerson.load(matched ? holder.id : NOBODY);
    const today = todayCst();
    const windowStart = addDays(today, -(PASS_WINDOW_DAYS - 1));
    // a contact whose quarantine has ended is released, as for the pass colour (PersonSource.passFacts)
    const exposure = contacts.filter((c) => c.quarantineEndedOn == null).map((c) => c.exposureDate).filter((d) => d >= windowStart && d <= today).sort().pop() ?? null;
    await this.deps.audit.record({
      operation: 'closeContactCheck',
      subjectPersonId: holder?.id ?? null,
      outcome: !matched ? 'NOT_MATCHED' : exposure ? 'CONTACT' : 'NO_CONTACT',
    });
    return { isCloseContact: exposure != null, exposureDate: exposure, advice: exposure ? ADVICE_CONTACT : ADVICE_NONE };
  }

  async issuePass(name: string, idNumber: string) {
    const { holder, matched } = await this.lookup(name, idNumber);
    if (!matched) {
      await this.deps.audit.record({ operation: 'issuePass', subjectPersonId: holder?.id ?? null, outcome: 'NOT_MATCHED' });
      return { pass: null, userErrors: [NOT_MATCHED] };
    }
    return { pass: await this.deps.passes.issue(holder), userErrors: [] };
  }

  async holderPass(token: string, name: string, idNumber: string) {
    const { holder, matched } = await this.lookup(name, idNumber);
    const view = matched && (await this.deps.passes.holderView(holder, token));
    if (!view) {
      // PassService.holderView audits the rest
      if (!matched) await this.deps.audit.record({ operation: 'holderPass', subjectPersonId: holder?.id ?? null, outcome: 'NOT_MATCHED' });
      return { pass: null, status: null, userErrors: [NOT_MATCHED] };
    }
    return { ...view, userErrors: [] };
  }

  /**
   * The holder of the ID number (after the rate limit), and whether the name is theirs. Only a
   * match may be shown; a holder without a match is for the audit.
   */
  private async lookup(name: string, idNumber: string): Promise<Lookup> {
    const hash = idHashOf(idNumber, this.deps.idHashSecret);
    await this.deps.limiter.admit(this.deps.clientId, hash.toString('hex'));
    const holder = await this.deps.persons.byIdHash.load(hash);
    return holder && sameName(name, holder.name) ? { holder, matched: true } : { holder, matched: false };
  }
}
