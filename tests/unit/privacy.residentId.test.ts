import { checkResidentId, residentIdCheckChar, type ResidentIdCheck } from '../../src/privacy/residentId';

const TODAY = '2026-11-25';

/** A full ID number with the right check character, so that only the rule under test can fail. */
function withCheck(first17: string): string {
  return first17 + residentIdCheckChar(first17);
}

function expectFailure(result: ResidentIdCheck): { rule: string; message: string } {
  if (result.ok) throw new Error('expected the ID number to be rejected');
  return result;
}

describe('checkResidentId', () => {
  it.each([
    ['420106198805120017', '1988-05-12', '420106'],
    ['110105199003071239', '1990-03-07', '110105'],
    ['310104197509214569', '1975-09-21', '310104'],
    ['440305200101017896', '2001-01-01', '440305'],
    ['510107199506063211', '1995-06-06', '510107'],
    ['11010519491231002X', '1949-12-31', '110105'],
  ])('accepts the valid number %s', (idNumber, birthDate, regionPrefix) => {
    expect(checkResidentId(idNumber, TODAY)).toEqual({ ok: true, idNumber, birthDate, regionPrefix });
  });

  it('accepts a lower-case x check character and normalises it to X', () => {
    expect(checkResidentId('11010519491231002x', TODAY)).toMatchObject({ ok: true, idNumber: '11010519491231002X' });
  });

  it('trims surrounding whitespace, including the ideographic space', () => {
    expect(checkResidentId(' \t420106198805120017\u3000\n', TODAY)).toMatchObject({
      ok: true,
      idNumber: '420106198805120017',
    });
  });

  it('defaults today to the current date in China Standard Time', () => {
    expect(checkResidentId('420106198805120017').ok).toBe(true);
  });

  it('fails fast when today is not a calendar date', () => {
    expect(() => checkResidentId('420106198805120017', '2026-02-30')).toThrow(/expects today as a 'YYYY-MM-DD'/);
  });

  describe('rejects, naming the first rule broken,', () => {
    it.each([
      ['17 characters', '42010619880512001', 'LENGTH'],
      ['19 characters', '4201061988051200170', 'LENGTH'],
      ['an empty string', '   ', 'LENGTH'],
      ['letters', '4201061988O512OO17', 'CHARACTERS'],
      ['an X before the last position', '4201061988051200X7', 'CHARACTERS'],
      ['full-width digits', '４２０１０６１９８８０５１２００１７', 'CHARACTERS'],
      ['an unknown province 99', withCheck('99010519900307123'), 'REGION_PREFIX'],
      ['an all-zero address code', withCheck('00000019900307123'), 'REGION_PREFIX'],
      ['a province code with no city or county part', withCheck('11000019900307123'), 'REGION_PREFIX'],
      ['an impossible date 1999-02-30', withCheck('11010519990230123'), 'BIRTH_DATE'],
      ['month 13', withCheck('11010519991301123'), 'BIRTH_DATE'],
      ['a birth date after today', withCheck('11010520261126123'), 'BIRTH_DATE'],
      ['a birth date before 1900', withCheck('11010518991231123'), 'BIRTH_DATE'],
      ['a wrong check digit', '110105199003071238', 'CHECK_DIGIT'],
      ['a wrong X check character', '42010619880512001X', 'CHECK_DIGIT'],
    ])('%s', (_what, input, rule) => {
      expect(expectFailure(checkResidentId(input, TODAY)).rule).toBe(rule);
    });
  });

  it('checks the rules in order: length before characters, characters before region, region before date', () => {
    expect(expectFailure(checkResidentId('ABC', TODAY)).rule).toBe('LENGTH');
    expect(expectFailure(checkResidentId('99010519990230123A', TODAY)).rule).toBe('CHARACTERS');
    expect(expectFailure(checkResidentId('990105199902301230', TODAY)).rule).toBe('REGION_PREFIX');
    expect(expectFailure(checkResidentId('110105199902301230', TODAY)).rule).toBe('BIRTH_DATE');
  });

  it('accepts a birth date of today and of 1900-01-01', () => {
    expect(checkResidentId(withCheck('11010520261125123'), TODAY).ok).toBe(true);
    expect(checkResidentId(withCheck('11010519000101123'), TODAY).ok).toBe(true);
  });

  it('says how long a number of the wrong length is', () => {
    expect(expectFailure(checkResidentId('42010619880512001', TODAY)).message).toBe(
      'A resident ID number has 18 characters; this one has 17.',
    );
  });

  it('says that the check character is wrong, citing the standard', () => {
    expect(expectFailure(checkResidentId('110105199003071238', TODAY)).message).toMatch(
      /check character \(18th\).*GB 11643-1999.*MOD 11-2/,
    );
  });

  it('gives the same check-digit message whatever the wrong character, so it cannot hint at the right one', () => {
    const first17 = '11010519900307123';
    const wrong = [...'0123456789X'].filter((c) => c !== residentIdCheckChar(first17));
    const messages = new Set(wrong.map((c) => expectFailure(checkResidentId(first17 + c, TODAY)).message));
    expect(wrong).toHaveLength(10);
    expect(messages.size).toBe(1);
    // ... and the same message for another person's number.
    expect(messages).toContain(expectFailure(checkResidentId('420106198805120018', TODAY)).message);
  });

  it('never echoes the number or any part of it in a message', () => {
    const inputs = [
      '110105199003071238',
      withCheck('99010519900307123'),
      withCheck('11010519990230123'),
      withCheck('11010520261126123'),
      '4201061988O512OO17',
    ];
    for (const input of inputs) {
      const { message } = expectFailure(checkResidentId(input, TODAY));
      for (const part of [input.slice(0, 6), input.slice(6, 14), input.slice(14, 17), input]) {
        expect(message).not.toContain(part);
      }
    }
  });
});
