#!/usr/bin/env node
// One version number: package.json's. The Python client (fspd.__version__, which pyproject.toml reads),
// the Go client (fspd.Version) and the native core (CMake project version, reported by `fspd doctor`)
// carry copies of it, which this script writes.
//   node scripts/version.mjs          write package.json's version into the copies (npm's `version` hook
//                                     runs this, so `npm version 0.2.0` updates them all)
//   node scripts/version.mjs --check  exit 1 naming every copy that differs (test/version.test.ts)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Each copy: its file and the pattern whose group 2 is the version (group 1 and 3 stay as they are). */
export const COPIES = [
  { file: 'clients/python/src/fspd/__init__.py', pattern: /^(__version__ = ")([^"]*)(")$/m },
  { file: 'clients/go/version.go', pattern: /^(const Version = ")([^"]*)(")$/m },
  { file: 'native/CMakeLists.txt', pattern: /^(project\(fspd VERSION )(\S+)( )/m },
];

export function packageVersion() {
  return JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
}

/** [{file, version}] as the copies stand; version is undefined when the pattern is not found. */
export function copiedVersions() {
  return COPIES.map(({ file, pattern }) => ({ file, version: pattern.exec(fs.readFileSync(path.join(root, file), 'utf8'))?.[2] }));
}

function write(version) {
  for (const { file, pattern } of COPIES) {
    const full = path.join(root, file);
    const text = fs.readFileSync(full, 'utf8');
    if (!pattern.test(text)) throw new Error(`${file}: no version found (${pattern})`);
    fs.writeFileSync(full, text.replace(pattern, (_, a, _old, c) => `${a}${version}${c}`));
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const version = packageVersion();
  if (process.argv.includes('--check')) {
    const wrong = copiedVersions().filter((c) => c.version !== version);
    for (const c of wrong) console.error(`${c.file}: version ${c.version ?? '(not found)'}, package.json says ${version}`);
    process.exit(wrong.length ? 1 : 0);
  }
  write(version);
  console.log(`version ${version} written to ${COPIES.map((c) => c.file).join(', ')}`);
}
