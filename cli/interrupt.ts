/**
 * SIGINT and SIGTERM as an AbortSignal: the first stops the run at the next batch (the loop
 * yields between batches; the VM is stopped at once), so the summary and what was found are
 * kept; a second one exits at once with the interrupted code (the VM dies with us: kernel/vm.ts).
 */
import { EXIT } from './usage.ts';

export interface Interrupt {
  readonly signal: AbortSignal;
  /** the signal received, if any */
  received(): NodeJS.Signals | undefined;
  dispose(): void;
}

export function onInterrupt(): Interrupt {
  const ac = new AbortController();
  let got: NodeJS.Signals | undefined;
  const handler = (s: NodeJS.Signals) => {
    if (got) process.exit(EXIT.interrupted);
    got = s;
    process.stderr.write(`\ngemcheck: ${s}: stopping (again to quit at once)\n`);
    ac.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: ac.signal,
    received: () => got,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
