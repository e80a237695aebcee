/** ERR_PTR: functions that return an object or an errno return this for the errno. */
export class ErrPtr {
  constructor(readonly errno: number) {}
}
export const ERR_PTR = (errno: number): ErrPtr => new ErrPtr(errno);
export const IS_ERR = (x: unknown): x is ErrPtr => x instanceof ErrPtr;
