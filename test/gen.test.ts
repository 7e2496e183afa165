// `npm run gen` is the one codegen command: regenerating TypeScript, Python, Go and docs/API.md from proto/
// into a scratch directory must reproduce the committed files byte for byte (DESIGN.md: CI fails when
// regenerating changes generated code). A missing generator skips its language here, except under CI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

const root = path.resolve(import.meta.dirname, '..');
const python = process.env.PYTHON ?? 'python3';

const works = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error && r.status === 0;
};
const missing = (what: string) => (process.env.CI ? false : `${what} not installed (.ci/run installs it)`);

const targets = [
  { name: 'ts', dir: 'src/generated', skip: false as string | false },
  {
    name: 'py',
    dir: 'clients/python/src/fspd/v1',
    skip: works(python, ['-c', 'import grpc_tools.protoc']) ? false : missing('grpcio-tools (pip)'),
  },
  {
    name: 'go',
    dir: 'clients/go/gen/fspd/v1',
    skip:
      works(python, ['-c', 'import grpc_tools.protoc']) && works('protoc-gen-go', ['--version']) && works('protoc-gen-go-grpc', ['--version'])
        ? false
        : missing('grpcio-tools (pip) or protoc-gen-go / protoc-gen-go-grpc (apt)'),
  },
];

describe('generated code is what `npm run gen` produces', () => {
  for (const t of targets) {
    it(`${t.name}: ${t.dir}`, { skip: t.skip }, () => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), `fspd-gen-${t.name}-`));
      try {
        const r = spawnSync(process.execPath, ['scripts/gen.mjs', '--out', out, '--only', t.name], { cwd: root, encoding: 'utf8' });
        assert.equal(r.status, 0, `gen failed:\n${r.stdout}${r.stderr}`);
        const fresh = path.join(out, t.dir);
        const committed = path.join(root, t.dir);
        assert.deepEqual(listFiles(fresh), listFiles(committed), `the same files in ${t.dir} (run \`npm run gen\` and commit it)`);
        for (const f of listFiles(committed)) {
          const same = fs.readFileSync(path.join(fresh, f)).equals(fs.readFileSync(path.join(committed, f)));
          assert.ok(same, `${t.dir}/${f} is stale: run \`npm run gen\` and commit it`);
        }
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    });
  }
});

describe('docs/API.md is what `npm run gen` produces', () => {
  it('doc: docs/API.md', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-gen-doc-'));
    try {
      const r = spawnSync(process.execPath, ['scripts/gen.mjs', '--out', out, '--only', 'doc'], { cwd: root, encoding: 'utf8' });
      assert.equal(r.status, 0, `gen failed:\n${r.stdout}${r.stderr}`);
      const fresh = fs.readFileSync(path.join(out, 'docs', 'API.md'), 'utf8');
      assert.ok(fresh === fs.readFileSync(path.join(root, 'docs', 'API.md'), 'utf8'), 'docs/API.md is stale: run `npm run gen` and commit it');
      // Every RPC of every service is in it (the reference cannot silently drop one).
      for (const rpc of ['FspLoss', 'TeacherFsp', 'UploadModel', 'Run', 'RegisterSharedMemory']) assert.match(fresh, new RegExp(`^\\| ${rpc} \\|`, 'm'), rpc);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile() && !e.name.endsWith('.pyc') && e.name !== '__pycache__')
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter((f) => !f.split(path.sep).includes('__pycache__'))
    .sort();
}
