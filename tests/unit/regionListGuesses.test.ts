import { GUESS_MIN_COUNTIES, RegionListGuesses } from '../../src/cache/regionListGuesses';

const counties = (n: number, tag = 'a') => Array.from({ length: n }, (_, i) => `${tag}${i}`);

describe('RegionListGuesses', () => {
  it('guesses the counties of the last answer of a shape', () => {
    const guesses = new RegionListGuesses();
    expect(guesses.guess('map')).toBeUndefined();
    guesses.remember('map', counties(GUESS_MIN_COUNTIES));
    guesses.remember('map', counties(GUESS_MIN_COUNTIES, 'b'));
    expect(guesses.guess('map')).toEqual(counties(GUESS_MIN_COUNTIES, 'b'));
  });

  it('keeps no small list, and forgets a shape whose list became small', () => {
    const guesses = new RegionListGuesses();
    guesses.remember('small', counties(GUESS_MIN_COUNTIES - 1));
    expect(guesses.guess('small')).toBeUndefined();
    guesses.remember('map', counties(GUESS_MIN_COUNTIES));
    guesses.remember('map', counties(3));
    expect(guesses.guess('map')).toBeUndefined();
  });

  it('keeps at most `limit` shapes, forgetting the least recently answered', () => {
    const guesses = new RegionListGuesses(3);
    for (const shape of ['a', 'b', 'c']) guesses.remember(shape, counties(GUESS_MIN_COUNTIES));
    guesses.remember('a', counties(GUESS_MIN_COUNTIES)); // answered again: now the most recent
    guesses.remember('d', counties(GUESS_MIN_COUNTIES));
    expect(guesses.guess('b')).toBeUndefined();
    for (const shape of ['a', 'c', 'd']) expect(guesses.guess(shape)).toBeDefined();
  });
});
