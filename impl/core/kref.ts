/** struct kref: a count that calls its release when it drops to zero. Misuse is recorded. */
export class Kref {
  count = 1;
  constructor(
    private readonly release: () => void,
    private readonly report: (msg: string) => void,
  ) {}
  get(): void {
    if (this.count <= 0) this.report('kref_get on a zero refcount');
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
      this.report('kref_put underflow');
      return;
    }
    if (--this.count === 0) this.release();
  }
}
