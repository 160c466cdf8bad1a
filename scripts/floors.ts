// The floor table of ARCHITECTURE.md as data, plus the readers that check the tree against it.
// Used by test/architecture/floors.test.ts (fails on an upward import) and scripts/metrics.ts
// (prints the counts the issues quote: upward imports, long files, long functions, duplicates).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** Floor per top-level folder of src/; a folder may import its own floor and the ones below. */
export const FLOORS: Readonly<Record<string, number>> = {
  core: 1,
  image: 2, target: 2, arch: 2, link: 2, imxrt: 2,
  protocol: 3,
  sim: 4, programmer: 4, pack: 4,
  flash: 5, doctor: 5,
  cli: 6, web: 6,
  index: 7, // src/index.ts: the public API re-exports every floor
};

/** Imports that the floor numbers alone allow but the architecture does not. */
export const FORBIDDEN: ReadonlyArray<{ from: string; to: string; why: string }> = [
  { from: 'sim', to: 'programmer', why: 'simulators speak the device bytes; they never use the host side' },
];

export interface ImportEdge { file: string; line: number; spec: string; fromFolder: string; toFolder: string }

export function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listTs(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

function folderOf(srcRoot: string, file: string): string {
  const rel = relative(srcRoot, file).split(sep);
  return rel.length === 1 ? (rel[0] ?? '').replace(/\.ts$/, '') : (rel[0] ?? '');
}

/** Every relative import/export/dynamic import inside src/, resolved to its top-level folder. */
export function importEdges(srcRoot: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of listTs(srcRoot)) {
    const text = readFileSync(file, 'utf8');
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const add = (spec: string, node: ts.Node): void => {
      if (!spec.startsWith('.')) return;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(srcRoot + sep)) return;
      edges.push({
        file: relative(srcRoot, file), line: sf.getLineAndCharacterOfPosition(node.getStart()).line + 1, spec,
        fromFolder: folderOf(srcRoot, file), toFolder: folderOf(srcRoot, target.replace(/\.js$/, '.ts')),
      });
    };
    const visit = (node: ts.Node): void => {
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        add(node.moduleSpecifier.text, node);
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const arg = node.arguments[0];
        if (arg && ts.isStringLiteral(arg)) add(arg.text, node);
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
        add(node.argument.literal.text, node);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return edges;
}

export interface Violation extends ImportEdge { why: string }

/** Imports that run from a lower floor to a higher one, or that FORBIDDEN names. */
export function floorViolations(srcRoot: string): Violation[] {
  const out: Violation[] = [];
  for (const e of importEdges(srcRoot)) {
    const from = FLOORS[e.fromFolder];
    const to = FLOORS[e.toFolder];
    if (from === undefined) { out.push({ ...e, why: `src/${e.fromFolder} has no floor in scripts/floors.ts` }); continue; }
    if (to === undefined) { out.push({ ...e, why: `src/${e.toFolder} has no floor in scripts/floors.ts` }); continue; }
    if (to > from) { out.push({ ...e, why: `floor ${from} (${e.fromFolder}) imports floor ${to} (${e.toFolder})` }); continue; }
    const rule = FORBIDDEN.find((f) => f.from === e.fromFolder && f.to === e.toFolder);
    if (rule) out.push({ ...e, why: rule.why });
  }
  return out;
}

export interface LongFunction { file: string; line: number; name: string; lines: number }

/** Functions, methods, constructors, accessors and arrow functions spanning more than `limit` lines. */
export function longFunctions(root: string, limit: number): LongFunction[] {
  const out: LongFunction[] = [];
  for (const file of listTs(root)) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const start = sf.getLineAndCharacterOfPosition(node.getStart()).line;
        const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
        const lines = end - start + 1;
        if (lines > limit) {
          const named = node as ts.Node & { name?: ts.Node };
          let name = named.name ? named.name.getText(sf) : '';
          if (!name && ts.isVariableDeclaration(node.parent)) name = node.parent.name.getText(sf);
          out.push({ file: relative(root, file), line: start + 1, name: name || '(anonymous)', lines });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}

export function longFiles(root: string, limit: number): Array<{ file: string; lines: number }> {
  return listTs(root)
    .map((f) => ({ file: relative(root, f), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
    .filter((f) => f.lines > limit);
}
