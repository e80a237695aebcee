/** The result of one call on a target. Errors are values; nothing is signalled by throwing. */
import type { SignalName } from './uapi.ts';

export type Outcome =
  | { readonly status: 'ok'; readonly out: Readonly<Record<string, bigint>> }
  | { readonly status: 'err'; readonly errno: number }
  | { readonly status: 'sig'; readonly signal: SignalName }
  /** A JS exception escaped the implementation: a finding, never kernel behaviour. */
  | { readonly status: 'crash'; readonly message: string };

export const ok = (out: Record<string, bigint> = {}): Outcome => ({ status: 'ok', out });
export const err = (errno: number): Outcome => ({ status: 'err', errno });
export const sig = (signal: SignalName): Outcome => ({ status: 'sig', signal });
