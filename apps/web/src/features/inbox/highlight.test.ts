// Which parts of a row the search marks.
import { describe, expect, it } from 'vitest';
import { searchTerms, splitMatches } from './highlight';

describe('search highlight', () => {
  it('splits the search as the server does, numbers written as #30 or F-30 marking the number', () => {
    expect(searchTerms('Nguyen')).toEqual(['nguyen']);
    expect(searchTerms('F-30')).toEqual(['f-30', '30']);
    expect(searchTerms('#30')).toEqual(['30']);
    expect(searchTerms('lan.nguyen@example.com')).toEqual(['lan.nguyen@example.com']);
    expect(searchTerms('  ')).toEqual([]);
  });

  it('marks every occurrence, case-insensitive, longest term first', () => {
    expect(splitMatches('Lan Nguyen', ['nguy'])).toEqual([
      { text: 'Lan ', isMatch: false },
      { text: 'Nguy', isMatch: true },
      { text: 'en', isMatch: false },
    ]);
    expect(splitMatches('parcel, Parcel', ['parcel'])).toEqual([
      { text: 'parcel', isMatch: true },
      { text: ', ', isMatch: false },
      { text: 'Parcel', isMatch: true },
    ]);
    expect(splitMatches('abc', [])).toEqual([{ text: 'abc', isMatch: false }]);
  });
});
