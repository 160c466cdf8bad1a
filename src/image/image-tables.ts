/**
 * Compact tables for images with many pieces (issue 10 §5): a file of a million scattered
 * records must not cost an object, a typed-array view and a string per record. Rows of
 * unsigned 32-bit fields live in a few large typed arrays instead, and ordering is a linear
 * radix sort over them.
 */

/** log2 of the rows per page once the first page is full. */
const PAGE_SHIFT = 14;
const PAGE_ROWS = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE_ROWS - 1;

/**
 * A growing table of rows of `width` u32 fields. The first page doubles (so a builder of one
 * run costs a few bytes), later pages are fixed at 16k rows: growing never copies more than
 * one page and never leaves more than one page unused, so the table costs 4·width bytes per
 * row plus at most one page.
 */
export class Rows {
  private pages: Uint32Array[];
  count = 0;

  constructor(readonly width: number) {
    this.pages = [new Uint32Array(4 * width)];
  }

  /** Appends a row of zeros; returns its index. */
  push(): number {
    const i = this.count;
    if (i < PAGE_ROWS) {
      const first = this.pages[0]!;
      if ((i + 1) * this.width > first.length) {
        const grown = new Uint32Array(Math.min(PAGE_ROWS, 2 * (first.length / this.width)) * this.width);
        grown.set(first);
        this.pages[0] = grown;
      }
    } else if ((i & PAGE_MASK) === 0) this.pages.push(new Uint32Array(PAGE_ROWS * this.width));
    this.count = i + 1;
    return i;
  }

  get(row: number, field: number): number {
    return this.pages[row >>> PAGE_SHIFT]![(row & PAGE_MASK) * this.width + field]!;
  }

  set(row: number, field: number, value: number): void {
    this.pages[row >>> PAGE_SHIFT]![(row & PAGE_MASK) * this.width + field] = value;
  }
}

/**
 * Row indices 0…n-1 ordered by `key(i)` (u32), equal keys keeping index order: an LSD radix
 * sort in two 16-bit passes, linear in n (a comparison sort of a million scattered records
 * would be n log n, and V8's comparator sort copies the array twice). Returns the identity
 * without sorting when the keys already ascend (the usual case: a file written in address order).
 * `scratch` (at least n entries, overwritten) saves allocating the sort's second array.
 */
export function orderByKey(n: number, key: (i: number) => number, scratch?: Uint32Array): Uint32Array {
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = key(i - 1) <= key(i);
  const order = new Uint32Array(n);
  if (sorted) {
    for (let i = 0; i < n; i++) order[i] = i;
    return order;
  }
  // The keys are read twice per pass rather than copied: at a million rows a copy is 4 MB more at the peak.
  const tmp = scratch && scratch.length >= n ? scratch : new Uint32Array(n);
  const counts = new Uint32Array(65536);
  // Low half, then high half; each pass is stable, so equal keys stay in index order.
  for (let i = 0; i < n; i++) counts[key(i) & 0xffff]!++;
  prefix(counts);
  for (let i = 0; i < n; i++) tmp[counts[key(i) & 0xffff]!++] = i;
  counts.fill(0);
  for (let i = 0; i < n; i++) counts[key(i) >>> 16]!++;
  prefix(counts);
  for (let i = 0; i < n; i++) {
    const r = tmp[i]!;
    order[counts[key(r) >>> 16]!++] = r;
  }
  return order;
}

/** Turns counts into start positions (exclusive prefix sums), in place. */
function prefix(counts: Uint32Array): void {
  let sum = 0;
  for (let k = 0; k < counts.length; k++) {
    const c = counts[k]!;
    counts[k] = sum;
    sum += c;
  }
}
