/** Bad input to the tool: one clear line (with its location) and exit code 2. */
export class UsageError extends Error {}

/** Exit codes, documented in --help. */
export const EXIT = { clean: 0, finding: 1, usage: 2, interrupted: 130 } as const;

export const EXIT_HELP = `Exit codes:
  0    clean: everything agreed and every check held
  1    a finding: a divergence, a failed self-check or expectation, an escaped exception, a kernel hang/oops
  2    bad input: flags, program files, the save folder (one line saying where)
  130  interrupted (SIGINT/SIGTERM): the summary so far is printed and what was found is saved`;
