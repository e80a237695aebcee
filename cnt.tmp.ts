import { programAt } from './fuzz/generate.ts';
const c: Record<string, number> = {};
for (let i = 0; i < 2000; i++) for (const x of programAt('1', i, 24, 1, { devices: ['qxl'] }).calls) c[x.op] = (c[x.op] ?? 0) + 1;
console.log(Object.entries(c).sort((a, b) => b[1] - a[1]));
