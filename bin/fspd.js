#!/usr/bin/env node
// fspd runs from its TypeScript sources through tsx, so there is no separate build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
