/**
 * Coverage points: cheap markers at impl's decision points, named after the kernel function
 * they sit in (`cover('drm_gem_handle_delete:last-handle')`). A campaign (campaign/fuzz.ts)
 * reads the points each program hit as its signal; nothing else depends on them. Each hit
 * is O(1): one Map lookup (name → id) and one Set insert of (current call's op, point). A
 * point's id is a hash of its name, so it is the same in every worker thread, process and
 * session (manifests store signal across resumes). On by default.
 */

const ids = new Map<string, number>();
const names = new Map<number, string>();
/** hits of the program running now: op index * POINT_SPACE + point id */
let hits = new Set<number>();
let op = 0;

/** Point ids per op in the hit encoding (a 16-bit hash of the name). */
export const POINT_SPACE = 1 << 16;

/** FNV-1a of the name, folded to 16 bits: stable everywhere. */
export function pointId(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return ((h >>> 16) ^ h) & (POINT_SPACE - 1);
}

/** Marks decision point `name` as reached by the call running now. */
export function cover(name: string): void {
  let id = ids.get(name);
  if (id === undefined) {
    id = pointId(name);
    ids.set(name, id);
    names.set(id, name);
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
  return names.get(hit % POINT_SPACE) ?? `point#${hit % POINT_SPACE}`;
}
