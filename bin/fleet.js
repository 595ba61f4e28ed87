#!/usr/bin/env node
// fleet's entry point: runs the TypeScript sources through tsx's loader.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main();
process.exit(code);
