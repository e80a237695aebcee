#!/usr/bin/env node
// Entry point for `npx gemcheck`: run the TypeScript CLI through tsx (no build step).
import { register } from 'tsx/esm/api';
register();
await import('../cli/main.ts');
