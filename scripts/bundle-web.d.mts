export function bundleWeb(outdir?: string, options?: { quiet?: boolean }): Promise<{ outdir: string; raw: number; zipped: number; line: string }>;
