/** struct kref: a count that calls its release when it drops to zero. Misuse is recorded.
 * The release and report are shared functions of the owner (no closures per object: a kref
 * is embedded in every bo, and 100 000 of them must stay lean). */
export class Kref<T = unknown> {
  count = 1;
  constructor(
    private readonly owner: T,
    private readonly release: (owner: T) => void,
    private readonly report: (owner: T, msg: string) => void,
  ) {}
  get(): void {
    if (this.count <= 0) this.report(this.owner, 'kref_get on a zero refcount');
    this.count++;
  }
  /** kref_get_unless_zero. */
  getUnlessZero(): boolean {
    if (this.count === 0) return false;
    this.count++;
    return true;
  }
  put(): void {
    if (this.count <= 0) {
      this.report(this.owner, 'kref_put underflow');
      return;
    }
    if (--this.count === 0) this.release(this.owner);
  }
}
