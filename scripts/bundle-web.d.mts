export interface WebBundle { outdir: string; raw: number; zipped: number; appRaw: number; appZipped: number; version: string; assets: string[]; line: string }
export function bundleWeb(outdir?: string, options?: { quiet?: boolean }): Promise<WebBundle>;
export function offlineAssets(outdir: string): string[];
export function writeServiceWorker(outdir: string): Promise<{ version: string; assets: string[] }>;
