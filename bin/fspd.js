#!/usr/bin/env node
// The fspd command. An installed package runs the compiled dist/ (`npm run build`; the package carries no
// src/). A source checkout, where src/ is present, runs src/ through tsx (a devDependency), so that no
// build step stands between an edit and a run and tests never meet a stale dist/.
import fs from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (fs.existsSync(source)) {
  const tsx = await import('tsx/esm/api').catch((err) => {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    console.error('fspd: this source checkout runs src/ through tsx, which is not installed (a devDependency): run `npm install`');
    process.exit(1);
  });
  tsx.register();
  await import(source.href);
} else {
  await import('../dist/cli/main.js');
}
