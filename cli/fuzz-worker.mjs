// The pool's worker entry: load the TypeScript worker through tsx (no build step).
import { tsImport } from 'tsx/esm/api';
const mod = await tsImport('./fuzz-worker.ts', import.meta.url);
export default mod.default;
