#!/usr/bin/env node
// Regenerates the code derived from proto/ (committed; test/proto.test.ts fails when it is stale):
//   TypeScript types for @grpc/grpc-js + @grpc/proto-loader  →  src/generated/
// `--ts-out DIR` writes the TypeScript types to DIR instead (the staleness test compares the two).
// The proto-loader flags must match LOADER_OPTIONS in src/server/proto.ts, or the types lie about the objects.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = path.join(root, 'proto');
const { values } = parseArgs({ options: { 'ts-out': { type: 'string' } } });
const tsOut = path.resolve(values['ts-out'] ?? path.join(root, 'src', 'generated'));

// Relative to protoDir, sorted: the generated "Original file" comments and file order stay stable.
const protos = fs
  .readdirSync(path.join(protoDir, 'fspd', 'v1'))
  .filter((f) => f.endsWith('.proto'))
  .sort()
  .map((f) => `fspd/v1/${f}`);

fs.rmSync(tsOut, { recursive: true, force: true });
const genTypes = createRequire(import.meta.url).resolve('@grpc/proto-loader/build/bin/proto-loader-gen-types.js');
run(process.execPath, [
  genTypes,
  '--longs=Number',
  '--enums=String',
  '--defaults',
  '--oneofs',
  '--includeComments',
  '--grpcLib=@grpc/grpc-js',
  '--importFileExtension=.js',
  '-I', 'proto',
  '-O', tsOut,
  ...protos,
]);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    console.error(`gen: ${path.basename(cmd)} failed: ${r.error?.message ?? `exit ${r.status}`}`);
    process.exit(1);
  }
}
