/**
 * What each flash controller does when asked to program memory that is not erased, as
 * data rows citing the document they come from. The NOR model (nor-flash.ts) applies a
 * rule to every program call, so a simulator refuses exactly what the silicon refuses;
 * where a document leaves room, the rule is the stricter reading.
 */

/**
 * - `bit-clear`: bits may only move away from the erased state; programming the erased
 *   value changes nothing and is accepted (STM32F4/F7).
 * - `and`: serial NOR: the new value is ANDed in, nothing is refused.
 * - `erased-only`: the whole destination must read erased, whatever the new bytes are
 *   (the MCUboot flash/FlexSPI memory interface's cumulative-write check).
 * - `unit-erased`: each program unit of `unitBytes` must be erased (and, with `ecc`, not
 *   written since the last erase, even with the erased value) unless the new unit is all
 *   zero and `zeroOverwrite` says the controller allows that.
 */
export type ProgramRuleKind = 'bit-clear' | 'and' | 'erased-only' | 'unit-erased';

export interface ProgramRule {
  kind: ProgramRuleKind;
  /** Program unit for `unit-erased` (2 = half-word, 8 = double-word, 32 = H7 flash word). */
  unitBytes?: number | undefined;
  /** An all-zero unit may be programmed over a non-erased one (F1 0x0000, L4/G0/G4 0x0000 0000). */
  zeroOverwrite?: boolean | undefined;
  /** The unit carries ECC bits: once programmed (even with the erased value) it counts as written. */
  ecc?: boolean | undefined;
  /** The flag or status the device raises: PGERR, PROGERR, NOTZEROERR, kStatusMemoryCumulativeWrite. */
  error: string;
  source: string;
}

export const PROGRAM_RULES = {
  /** RM0090 Rev 19 §3.5.4 / RM0410 §3.3.7: successive writes may change bits from 1 to 0 without an erase. */
  stm32f4: { kind: 'bit-clear', error: 'PGSERR/PGPERR (none for 1→0)', source: 'RM0090 Rev 19 §3.5.4 "Programming": successive write operations are possible without an erase when changing bits from 1 to 0' },
  stm32f7: { kind: 'bit-clear', error: 'none for 1→0', source: 'RM0410 Rev 4 §3.3.7 (same rule as RM0090 §3.5.4)' },
  /**
   * RM0008 Rev 21 §3.3.3 / PM0075 §2.3.3 "Main Flash memory programming" and FLASH_SR.PGERR:
   * a half-word whose address does not hold 0xFFFF is not programmed and PGERR is set, unless
   * the value written is 0x0000. Same controller on F0 (RM0360 §3.2.2) and F3 (RM0316 §4.2.3).
   */
  stm32f1: { kind: 'unit-erased', unitBytes: 2, zeroOverwrite: true, error: 'PGERR', source: 'RM0008 Rev 21 §3.3.3 and PM0075 §2.3.3 (FLASH_SR.PGERR: address to be programmed does not contain 0xFFFF; 0x0000 is allowed)' },
  stm32f0: { kind: 'unit-erased', unitBytes: 2, zeroOverwrite: true, error: 'PGERR', source: 'RM0360 Rev 5 §3.2.2 and FLASH_SR.PGERR (as RM0008)' },
  stm32f3: { kind: 'unit-erased', unitBytes: 2, zeroOverwrite: true, error: 'PGERR', source: 'RM0316 Rev 8 §4.2.3 and FLASH_SR.PGERR (as RM0008)' },
  /**
   * RM0351 Rev 9 §3.3.7 and FLASH_SR.PROGERR (L4), RM0444 Rev 5 §3.3.8 (G0), RM0440 Rev 7
   * §5.3.8 (G4): a double-word that does not hold 0xFFFF FFFF is not programmed (PROGERR),
   * except with the value 0x0000 0000. The 8 ECC bits per double-word are written with the
   * data, so a second programming of a double-word fails even if the first wrote all ones
   * (ST community report "Difference of writing 0xFFFFFFFFFFFFFFFF to page erase"); the
   * stricter reading is modelled.
   */
  stm32l4: { kind: 'unit-erased', unitBytes: 8, zeroOverwrite: true, ecc: true, error: 'PROGERR', source: 'RM0351 Rev 9 §3.3.7, FLASH_SR.PROGERR (double-word not 0xFFFF FFFF, except data 0x0000 0000); ECC per double-word' },
  stm32g0: { kind: 'unit-erased', unitBytes: 8, zeroOverwrite: true, ecc: true, error: 'PROGERR', source: 'RM0444 Rev 5 §3.3.8, FLASH_SR.PROGERR (as RM0351); ECC per double-word' },
  stm32g4: { kind: 'unit-erased', unitBytes: 8, zeroOverwrite: true, ecc: true, error: 'PROGERR', source: 'RM0440 Rev 7 §5.3.8, FLASH_SR.PROGERR (as RM0351); ECC per double-word' },
  /** RM0433 Rev 7 §4.3.9: 256-bit flash words with ECC; a flash word is programmed once per erase. */
  stm32h7: { kind: 'unit-erased', unitBytes: 32, ecc: true, error: 'PROGERR (flash word not virgin)', source: 'RM0433 Rev 7 §4.3.9 (256-bit flash word with 10 ECC bits, programmed once between erases)' },
  /**
   * RM0377 Rev 8 §3.3.4 and FLASH_SR.NOTZEROERR (L0): erased flash reads 0; a word program
   * over a word that is not zero sets NOTZEROERR. Some categories still perform the write;
   * the model refuses it (stricter).
   */
  stm32l0: { kind: 'unit-erased', unitBytes: 4, error: 'NOTZEROERR', source: 'RM0377 Rev 8 §3.3.4 and FLASH_SR.NOTZEROERR (write over a not-zero word)' },
  /**
   * MCUBOOTRM (Kinetis bootloader reference manual) status 10203 kStatusMemoryCumulativeWrite:
   * the flash and FlexSPI NOR memory interfaces check that the destination is erased before
   * programming it, not merely that only bits are cleared; K64 RM (K64P144M120SF5RM) FTFE
   * "Program Phrase": the phrase must be erased before programming.
   */
  mcuboot: { kind: 'erased-only', error: 'kStatusMemoryCumulativeWrite (10203)', source: 'MCUBOOTRM status codes: 10203 kStatusMemoryCumulativeWrite (destination not erased); K64P144M120SF5RM FTFE Program Phrase' },
  /** Serial NOR (IS25LP064A datasheet, Page Program): programming only clears bits. */
  serialNor: { kind: 'and', error: 'none', source: 'ISSI IS25LP064A datasheet, Page Program (PP)' },
} as const satisfies Record<string, ProgramRule>;

export type ProgramRuleName = keyof typeof PROGRAM_RULES;

/**
 * The rule for a target's internal flash, by family: STM32 families by the table above,
 * Kinetis by its FTFx/MCUboot rule, anything else bit-clear (the permissive physical rule).
 */
export function programRuleFor(target: { family: string; vendor?: string }, kind: 'flash' | 'external-nor' | 'option-bytes' = 'flash'): ProgramRule {
  if (kind === 'external-nor') return PROGRAM_RULES.serialNor;
  const m = /^stm32([a-z]\d)/i.exec(target.family);
  const key = m ? (`stm32${m[1]!.toLowerCase()}` as ProgramRuleName) : undefined;
  if (kind === 'flash' && key && key in PROGRAM_RULES) return PROGRAM_RULES[key];
  if (kind === 'flash' && /kinetis/i.test(target.family)) return PROGRAM_RULES.mcuboot;
  return PROGRAM_RULES.stm32f4;
}
