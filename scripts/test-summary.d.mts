// Types for scripts/test-summary.mjs (imported by test/helpers/peers.test.ts).
export declare const SKIP_MARK: string;
export declare function peersRequired(env: Record<string, string | undefined>): boolean;
export interface Summary { lines: string[]; ok: boolean; passed: number; failed: number; skipped: number }
export declare function summarize(report: unknown, required: boolean): Summary;
