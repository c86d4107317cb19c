/**
 * Code-point order, as SQL engines order text (by its UTF-8 bytes). JavaScript's `<` compares UTF-16
 * code units, which puts U+FF01 after U+1F600: a code unit of a surrogate pair (U+D800–U+DFFF, a
 * character above U+FFFF) sorts after every other character, so it is moved above U+FFFF first.
 */
export function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

const codePointRank = (unit: number) => (unit >= 0xd800 && unit <= 0xdfff ? unit + 0x2000 : unit >= 0xe000 ? unit - 0x800 : unit);
