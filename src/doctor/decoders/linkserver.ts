/**
 * NXP LinkServer / MCUXpresso IDE (redlink) status codes. The tool prints them as a class
 * letter pair and a number: "Ef(11). No flash configured at the specified address.",
 * "Ee(42). Could not connect to core.", "Wc(03). No cache support.". The class says where:
 * Ef = flash driver, Ee = emulator/probe connection, Wc = warning from the cache layer.
 * The table holds the codes whose text the tool prints in public logs (cited per row);
 * a code not in it is still reported with its class.
 */
export interface LinkServerCode {
  code: string;
  text: string;
  meaning: string;
  source: string;
}

const COMMUNITY = 'NXP community threads quoting LinkServer output';

export const LINKSERVER_CODES: readonly LinkServerCode[] = [
  { code: 'Ef(11)', text: 'No flash configured at the specified address.', meaning: 'The image has data at an address no flash driver of the selected part covers (for i.MX RT: the FlexSPI window 0x60000000 needs the external-flash driver, and the part/board XML must name it).', source: `${COMMUNITY}; seed 000` },
  { code: 'Ef(4)', text: 'Flash operation failed.', meaning: 'The flash driver ran but reported failure for an erase or program call (protection, a wrong driver for the flash part, or a timeout inside the driver).', source: 'community.nxp.com/thread/427087' },
  { code: 'Ef(34)', text: 'Timed-out initializing flash.', meaning: 'The flash driver did not finish its Init call: the external flash did not answer or the driver does not match it.', source: COMMUNITY },
  { code: 'Ee(42)', text: 'Could not connect to core.', meaning: 'The probe could not attach to the core: it is held in reset, asleep, locked up, or the application reconfigured the SWD pins or clocks right after reset.', source: `${COMMUNITY}; seed 000` },
  { code: 'Wc(03)', text: 'No cache support.', meaning: 'A warning only: the debug driver does not cache target memory. It is not a cause of failure.', source: `${COMMUNITY}; seed 000` },
];

const CLASSES: Record<string, string> = {
  Ef: 'flash driver', Ee: 'probe/emulator connection', Et: 'target connection', Ep: 'probe', Wc: 'warning (cache layer)', Nc: 'note',
};

/** "Ef(11)", "ef(0b)", "Ef 11" → canonical "Ef(11)"; undefined when it is not one. */
export function parseLinkServerCode(token: string): { cls: string; num: string } | undefined {
  const m = /^(E[a-z]|W[a-z]|N[a-z])\s?\(?\s?([0-9a-f]{1,3})\s?\)?\.?$/i.exec(token.trim());
  if (!m) return undefined;
  const cls = m[1]!.charAt(0).toUpperCase() + m[1]!.charAt(1).toLowerCase();
  return { cls, num: m[2]!.toUpperCase().padStart(2, '0') };
}

export function linkServerCodeInfo(token: string): LinkServerCode | undefined {
  const p = parseLinkServerCode(token);
  if (!p) return undefined;
  const canon = `${p.cls}(${p.num})`;
  const row = LINKSERVER_CODES.find((c) => {
    const q = parseLinkServerCode(c.code);
    return q !== undefined && q.cls === p.cls && Number.parseInt(q.num, 16) === Number.parseInt(p.num, 16);
  });
  if (row) return row;
  const cls = CLASSES[p.cls];
  if (!cls) return undefined;
  return { code: canon, text: '', meaning: `A LinkServer ${cls} code this table does not document; the text printed after it is the tool's own explanation.`, source: 'not in the table' };
}
