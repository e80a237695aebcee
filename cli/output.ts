/** Standard output and error that tolerate a closed pipe (`gemcheck check | head`,
 * `gemcheck check 2>&1 | head`): EPIPE ends the process quietly instead of crashing it. */
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}
