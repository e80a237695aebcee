// Success criterion: the folders keep their architecture. ir/ imports nothing; model/, impl/,
// fuzz/ and the VM code (kernel/) import only ir/; only harness/ (judging), campaign/ (loops)
// and cli/ combine them; and no runtime import cycle exists between source files (type-only
// imports, the TypeScript form of C forward declarations, may be mutual).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

/** Which folders each folder may import (tests and benchmarks are free to combine anything). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  ir: [],
  model: ['ir'],
  impl: ['ir'],
  fuzz: ['ir'],
  kernel: ['ir'],
  executor: ['ir'],
  harness: ['ir', 'model', 'kernel'],
  campaign: ['ir', 'harness', 'fuzz'],
  gate: ['ir', 'harness', 'campaign', 'fuzz', 'model', 'impl', 'kernel'],
  cli: ['ir', 'harness', 'campaign', 'fuzz', 'model', 'impl', 'kernel', 'gate'],
};

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === 'node_modules' || f.startsWith('.') ? [] : sources(p);
    return /\.(ts|mts|mjs)$/.test(f) && !/\.test\.ts$/.test(f) && !f.endsWith('.d.ts') ? [p] : [];
  });
}

const IMPORT = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const dir of Object.keys(ALLOWED)) {
    for (const file of sources(join(root, dir))) {
      const src = readFileSync(file, 'utf8');
      for (const m of src.matchAll(IMPORT)) {
        if (!m[3].startsWith('.')) continue;
        // `import { type A, type B }` is type-only as well
        const names = /\{([^}]*)\}/.exec(m[0])?.[1];
        const allTypes = !!names && names.split(',').every((n) => n.trim() === '' || n.trim().startsWith('type '));
        out.push({ from: relative(root, file), to: relative(root, resolve(dirname(file), m[3])), typeOnly: !!m[2] || allTypes });
      }
    }
  }
  return out;
}

const folder = (f: string) => f.split('/')[0];

function forbidden(es: readonly Edge[]): string[] {
  return es.filter((e) => folder(e.from) !== folder(e.to) && !ALLOWED[folder(e.from)]?.includes(folder(e.to))).map((e) => `${e.from} → ${e.to}`);
}

/** Strongly connected components of the runtime import graph with more than one file (Tarjan). */
function cycles(es: readonly Edge[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const e of es) if (!e.typeOnly) graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  let n = 0;
  const visit = (v: string) => {
    index.set(v, n);
    low.set(v, n++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || graph.get(v)?.includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('layering', () => {
  const all = edges();
  it('reads the tree (multi-line and type-only imports included)', () => {
    expect(all.length).toBeGreaterThan(150);
    expect(all.some((e) => e.typeOnly)).toBe(true);
    expect(all.some((e) => e.from === 'cli/main.ts' && e.to === 'cli/commands/check.ts')).toBe(true);
  });
  it('every folder imports only what it may', () => {
    expect(forbidden(all)).toEqual([]);
  });
  it('no runtime import cycle', () => {
    expect(cycles(all)).toEqual([]);
  });
  it('the checks can fail: a forbidden import and a cycle are seen', () => {
    expect(forbidden([{ from: 'model/x.ts', to: 'impl/y.ts', typeOnly: true }])).toEqual(['model/x.ts → impl/y.ts']);
    const loop: Edge[] = [{ from: 'kernel/a.ts', to: 'kernel/b.ts', typeOnly: false }, { from: 'kernel/b.ts', to: 'kernel/a.ts', typeOnly: false }];
    expect(cycles(loop)).toEqual([['kernel/a.ts', 'kernel/b.ts']]);
    expect(cycles([loop[0], { ...loop[1], typeOnly: true }])).toEqual([]);
  });
});
