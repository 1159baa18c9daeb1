import type { PersonRecord, PersonSource } from '../datasources/person';
import { Loader } from '../datasources/loader';
import type { SourceOptions } from '../datasources';
import type { AuditLog } from './audit';
import { idHashOf } from '../src/privacy/idArgument';

/** Person-level reads (HEALTH, by the schema's @auth): every one audited before it answers. */
export class PeopleService {
  /**
   * By `Person.id` for references from other subgraphs (federation `_entities`): one audit row per
   * person asked for (FOUND with the person, or NOT_FOUND), written in one INSERT per batch before
   * any person is returned, as `Query.person` audits each read.
   */
  private readonly references: Loader<string, PersonRecord | null>;

  constructor(
    private readonly persons: PersonSource,
    private readonly audit: AuditLog,
    private readonly idHashSecret: string,
    options: SourceOptions = {},
  ) {
    this.references = new Loader(
      async (ids) => {
        const found = await persons.byId.loadAll(ids);
        await audit.recordMany(found.map((p) => ({ operation: 'personReference', subjectPersonId: p?.id ?? null, outcome: p ? 'FOUND' : 'NOT_FOUND' })));
        return found;
      },
      (id) => id,
      { ...options, name: 'PeopleService.reference' },
    );
  }

  /** `Query.person`: the holder of an ID number, or null; audited either way. */
  async byIdNumber(idNumber: string): Promise<PersonRecord | null> {
    const person = await this.persons.byIdHash.load(idHashOf(idNumber, this.idHashSecret));
    await this.audit.record({ operation: 'person', subjectPersonId: person?.id ?? null, outcome: person ? 'FOUND' : 'NOT_FOUND' });
    return person;
  }

  /** A federation reference by `Person.id`, audited in batches. */
  reference(id: string): Promise<PersonRecord | null> {
    return this.references.load(id);
  }
}
