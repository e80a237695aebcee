/**
 * Coverage points: cheap markers at impl's decision points, named after the kernel function
 * they sit in (`cover('drm_gem_handle_delete:last-handle')`). A campaign (campaign/fuzz.ts)
 * reads the points each program hit as its signal; nothing else depends on them. Each hit
 * is O(1): one Map lookup (interned name → id, assigned at first hit) and one Set insert of
 * (current call's op, point). On by default; the cost is measured in bench/ (README).
 */

const ids = new Map<string, number>();
const names: string[] = [];
/** hits of the program running now: op index * POINT_SPACE + point id */
let hits = new Set<number>();
let op = 0;

/** Points per op in the hit encoding (far more than impl has). */
export const POINT_SPACE = 4096;

/** Marks decision point `name` as reached by the call running now. */
export function cover(name: string): void {
  let id = ids.get(name);
  if (id === undefined) {
    id = names.length;
    if (id >= POINT_SPACE) return;
    ids.set(name, id);
    names.push(name);
  }
  hits.add(op * POINT_SPACE + id);
}

/** The call about to run (its op's index in the call table): hits are attributed to it. */
export function coverCall(opIndex: number): void {
  op = opIndex;
}

/** Starts a program's collection; returns what was collected since the last reset. */
export function coverTake(): Set<number> {
  const h = hits;
  hits = new Set();
  op = 0;
  return h;
}

/** A point's name (for reports: `corpus stats`). */
export function coverName(hit: number): string {
  return names[hit % POINT_SPACE] ?? `point#${hit % POINT_SPACE}`;
}
