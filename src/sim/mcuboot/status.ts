/**
 * The MCUboot status codes the simulated device answers with (MCUBOOTRM, status codes table),
 * how a failure of the simulated memory maps onto them, and which commands it admits at all
 * (parameter counts, commands a secured part still takes).
 */
import { FlashwrightError } from '../../core/errors.js';
import { CommandTag } from '../../protocol/mcuboot/commands.js';
import type { SimMemory } from '../sim-memory.js';

export const S = {
  Success: 0, Fail: 1, ReadOnly: 2, OutOfRange: 3, InvalidArgument: 4, FlashAlignment: 101, FlashAccess: 103, FlashProtection: 104,
  FlashCommandFailure: 105, UnknownCommand: 10000, Security: 10001, AbortDataPhase: 10002, Unsupported: 10006, RangeInvalid: 10200,
  WriteFailed: 10202, Cumulative: 10203, NotConfigured: 10205, Alignment: 10206, WriteProtected: 10208, SbSignature: 10101,
  UnknownProperty: 10300, ReadOnlyProperty: 10301, SfdpNotFound: 20107,
} as const;

/** The status a failed memory operation answers with: 10203 for programming non-erased bytes, 104/10208 for protection… */
export function statusOf(memory: SimMemory, e: unknown): number {
  if (!(e instanceof FlashwrightError)) return S.Fail;
  const external = memory.regions.find((r) => r.region.name === e.context.region)?.region.kind === 'external-nor';
  switch (e.code) {
    case 'NOR_PROGRAM_NOT_ERASED': return S.Cumulative;
    case 'NOR_WRITE_PROTECTED': return external ? S.WriteProtected : S.FlashProtection;
    case 'NOR_ADDRESS': return S.Alignment;
    case 'NOR_FAULT': return S.FlashCommandFailure;
    case 'SIM_NOT_CONFIGURED': return S.NotConfigured;
    case 'SIM_UNMAPPED': return S.RangeInvalid;
    default: return S.WriteFailed;
  }
}

/**
 * Parameters each command carries at the least (MCUBOOTRM, the parameter table of each
 * command); a packet with fewer is refused with kStatus_InvalidArgument, as the ROM does.
 */
export const MIN_PARAMS: Readonly<Partial<Record<number, number>>> = {
  [CommandTag.GetProperty]: 1, [CommandTag.SetProperty]: 2, [CommandTag.ReadMemory]: 2, [CommandTag.WriteMemory]: 2,
  [CommandTag.ReceiveSBFile]: 1, [CommandTag.FillMemory]: 3, [CommandTag.FlashEraseRegion]: 2, [CommandTag.FlashSecurityDisable]: 2,
  [CommandTag.ConfigureMemory]: 2, [CommandTag.FlashProgramOnce]: 3, [CommandTag.FlashReadOnce]: 2, [CommandTag.FlashReadResource]: 3,
  [CommandTag.Execute]: 3, [CommandTag.Call]: 2,
};

/** Commands a secured Kinetis still accepts (K64 RM "Flash security" + MCUBOOTRM). */
export const ALLOWED_WHEN_SECURE = new Set<number>([CommandTag.GetProperty, CommandTag.SetProperty, CommandTag.FlashEraseAllUnsecure, CommandTag.FlashSecurityDisable, CommandTag.Reset]);
