/**
 * The Kinetis program-once field (IFR), as FlashProgramOnce / FlashReadOnce see it: 64 bytes
 * in records of the flash's program unit (FTFE: 8-byte records, index 0–7; FTFA: 4-byte
 * records, index 0–15; K64/K22 reference manuals, "Program Once" command). Each record can be
 * written once; unwritten records read as 0xFF.
 */
const INVALID_ARGUMENT = 4;
const FLASH_ACCESS_ERROR = 103;

export class ProgramOnceArea {
  private readonly records = new Map<number, Uint8Array>();

  constructor(private readonly recordSize: 4 | 8) {}

  /** Status of programming record `index` with `count` bytes given as u32 LE words. */
  program(index: number, count: number, words: readonly number[]): number {
    if (count !== this.recordSize || words.length * 4 !== count || index >= 64 / this.recordSize) return INVALID_ARGUMENT;
    if (this.records.has(index)) return FLASH_ACCESS_ERROR;
    const data = new Uint8Array(count);
    words.forEach((w, i) => new DataView(data.buffer).setUint32(4 * i, w, true));
    this.records.set(index, data);
    return 0;
  }

  /** Status and the record as u32 LE words. */
  read(index: number, count: number): { status: number; words: number[] } {
    if (count !== this.recordSize || index >= 64 / this.recordSize) return { status: INVALID_ARGUMENT, words: [] };
    const data = this.records.get(index) ?? new Uint8Array(count).fill(0xff);
    const v = new DataView(data.buffer, data.byteOffset, data.length);
    return { status: 0, words: Array.from({ length: count / 4 }, (_, i) => v.getUint32(4 * i, true)) };
  }
}
