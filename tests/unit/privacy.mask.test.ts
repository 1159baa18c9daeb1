import { maskName } from '../../src/privacy/mask';

describe('maskName', () => {
  it.each([
    ['王', '*'],
    ['王红', '王*'],
    ['张三丰', '张*丰'],
    ['欧阳娜娜', '欧**娜'],
    ['爱新觉罗溥仪', '爱****仪'],
    ['Alice Smith', 'A*********h'],
    ['Al', 'A*'],
  ])('masks %s as %s', (name, masked) => {
    expect(maskName(name)).toBe(masked);
  });

  it('trims surrounding whitespace before masking, including the ideographic space', () => {
    expect(maskName('  王红\u3000')).toBe('王*');
  });

  it('returns an empty string for an empty or blank name', () => {
    expect(maskName('')).toBe('');
    expect(maskName(' \t ')).toBe('');
  });

  it('counts a character outside the BMP as one, never splitting a surrogate pair', () => {
    // 𠮷 (U+20BB7) is two UTF-16 units.
    expect(maskName('𠮷')).toBe('*');
    expect(maskName('𠮷野')).toBe('𠮷*');
    expect(maskName('吉𠮷家')).toBe('吉*家');
    expect(maskName('王𠮷')).toBe('王*');
    expect(maskName('张小𠮷')).toBe('张*𠮷');
  });

  it('keeps the number of characters of the name', () => {
    for (const name of ['王', '王红', '张三丰', '欧阳娜娜', 'Alice Smith']) {
      expect(Array.from(maskName(name))).toHaveLength(Array.from(name).length);
    }
  });
});
