#!/usr/bin/env node
// The fspd command. An installed package runs the compiled dist/ (`npm run build`; the package carries no
// src/). A source checkout, where src/ is present, runs src/ through tsx (a devDependency), so that no
// build step stands between an edit and a run and tests never meet a stale dist/.
import fs from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (fs.existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('../dist/cli/main.js');
}
