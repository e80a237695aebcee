// Stand-in for qemu-system-x86_64 in kernel/vm.test.ts: takes QEMU's arguments, connects to the
// program socket like QEMU would, and plays a guest whose executor answers `ok` to every call.
// Ops that make it misbehave: `hang` (never answers), `warn` (console WARNING + taint line at
// done), `oops` (console BUG + exits like a panicked guest with -no-reboot), `sleep <ms>`
// (answers `ok` after that long; the lines behind it wait), `die` (exits at once, no oops, as
// a guest killed under the program would). Its first console line names its pid and socket.
// Standalone binaries (file/data/exec): the uploaded bytes are read as a script, one command a
// line: `print <text>`, `exit <code>`, `kill <signal>`, `timeout`, and `hang`/`warn`/`oops` as
// above; a file that does not start with `#fake` is `cannot exec: Exec format error`.
import net from 'node:net';

const args = process.argv.slice(2);
const chardev = args.find((a) => a.startsWith('socket,id=prog,path='));
if (!chardev) {
  process.stderr.write('fake-qemu: no program socket\n');
  process.exit(1);
}
const sockPath = chardev.slice('socket,id=prog,path='.length);
const say = (s) => process.stdout.write(s);

say('[    0.000000] Linux version 6.1.0-fake\n');
say(`[    0.000000] fake-qemu pid=${process.pid} sock=${sockPath}\n`);
const sock = net.connect(sockPath, () => sock.write('ready\n'));
let buf = '';
const queue = [];
let sleeping = false;
let prog = null;
let hung = false;
const files = new Map();
let upload = null;

function runBinary(id, name) {
  const script = files.get(name);
  if (script === undefined) return sock.write(`bad ${id} - no such file\ndone ${id}\n`);
  if (!script.startsWith('#fake')) return sock.write(`bad ${id} - cannot exec: Exec format error\ndone ${id}\n`);
  let status = `exit ${id} 0`;
  let taint = false;
  for (const cmd of script.split('\n').slice(1)) {
    const [w, ...rest] = cmd.split(' ');
    if (w === 'print') sock.write(`out ${id} ${rest.join(' ')}\n`);
    if (w === 'exit') status = `exit ${id} ${rest[0]}`;
    if (w === 'kill') status = `killed ${id} ${rest[0]}`;
    if (w === 'timeout') status = `timeout ${id}`;
    if (w === 'hang') {
      hung = true;
      return;
    }
    if (w === 'warn') {
      say('------------[ cut here ]------------\nWARNING: CPU: 0 PID: 9 at fake.c:2\n');
      taint = true;
    }
    if (w === 'oops') {
      say('BUG: kernel NULL pointer dereference, address: 0000000000000000\n');
      setTimeout(() => process.exit(0), 50);
      hung = true;
      return;
    }
  }
  sock.write(`${status}\n${taint ? `taint ${id} 512\n` : ''}done ${id}\n`);
}
sock.setEncoding('latin1');
sock.on('data', (chunk) => {
  buf += chunk;
  const lines = buf.split('\n');
  buf = lines.pop() ?? '';
  queue.push(...lines);
  pump();
});

function pump() {
  while (queue.length > 0 && !sleeping) {
    const line = queue.shift();
    if (hung) return;
    const [w, a] = line.split(' ');
    if (w === 'dev' || w === '') continue;
    if (w === 'quit') process.exit(0);
    if (w === 'file') {
      upload = a;
      files.set(a, '');
      continue;
    }
    if (w === 'data') {
      files.set(upload, files.get(upload) + Buffer.from(a, 'hex').toString('latin1'));
      continue;
    }
    if (w === 'exec') {
      runBinary(a, line.split(' ')[2]);
      continue;
    }
    if (w === 'prog') {
      prog = { id: a, k: 0, warn: false };
      continue;
    }
    if (w === 'end') {
      if (prog.warn) sock.write(`taint ${prog.id} 512\n`);
      sock.write(`done ${prog.id}\n`);
      prog = null;
      continue;
    }
    const k = prog.k++;
    if (w === 'sleep') {
      sleeping = true;
      const id = prog.id;
      setTimeout(() => {
        sleeping = false;
        sock.write(`res ${id} ${k} ok\n`);
        pump();
      }, Number(a));
      return;
    }
    if (w === 'die') process.exit(0);
    if (w === 'hang') {
      hung = true;
      return;
    }
    if (w === 'oops') {
      say('BUG: kernel NULL pointer dereference, address: 0000000000000000\n');
      setTimeout(() => process.exit(0), 50);
      hung = true;
      return;
    }
    if (w === 'warn') {
      say('------------[ cut here ]------------\nWARNING: CPU: 0 PID: 1 at fake.c:1\n');
      prog.warn = true;
    }
    sock.write(`res ${prog.id} ${k} ok\n`);
  }
}
sock.on('close', () => process.exit(0));
