/**
 * The bundled rule files. They are JSON imported as modules so the doctor runs in a browser
 * with no file access; order matters only for ties (flashwright's own first, then vendors).
 */
import debug from './debug.json' with { type: 'json' };
import flashwright from './flashwright.json' with { type: 'json' };
import nxp from './nxp.json' with { type: 'json' };
import serial from './serial.json' with { type: 'json' };
import stm32 from './stm32.json' with { type: 'json' };
import type { RuleData, RuleFile } from './schema.js';

export type { RuleData, RuleFile, FactCondition } from './schema.js';

export const RULE_FILES: Readonly<Record<string, RuleFile>> = {
  flashwright: flashwright as RuleFile,
  nxp: nxp as RuleFile,
  stm32: stm32 as RuleFile,
  debug: debug as RuleFile,
  serial: serial as RuleFile,
};

export const BUILTIN_RULES: readonly RuleData[] = Object.values(RULE_FILES).flatMap((f) => f.rules);
