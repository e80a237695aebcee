/** Standard output that tolerates a closed pipe (`gemcheck check | head`): EPIPE ends the
 * process quietly instead of crashing it. */
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}
