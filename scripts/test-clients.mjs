#!/usr/bin/env node
// Runs the client test suites against real servers (each suite starts its own `fspd serve`):
//   node scripts/test-clients.mjs python   pytest in clients/python
//   node scripts/test-clients.mjs go       go vet + go test in clients/go, offline (clients/go/offline.sh:
//                                          GOPATH mode over Debian's golang-google-grpc-dev and friends)
// A missing toolchain skips its suite with a message, except under CI (CI=true), where it fails:
// .ci/run installs them. FSPD_GO_MODE=module runs plain `go test` in module mode instead (machines
// with a module proxy).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const python = process.env.PYTHON ?? 'python3';
const which = process.argv.slice(2);
const suites = which.length ? which : ['python', 'go'];

for (const s of suites) {
  if (s === 'python') python_();
  else if (s === 'go') go_();
  else fail(`unknown suite '${s}' (python, go)`);
}

function python_() {
  const need = ['grpc', 'google.protobuf', 'google.rpc.status_pb2', 'numpy', 'pytest'];
  const probe = spawnSync(python, ['-c', `import ${need.join(', ')}`], { stdio: 'pipe', encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return missing('python', `${python} with ${need.join(', ')} (pip install grpcio protobuf googleapis-common-protos numpy pytest torch)`, probe.stderr);
  }
  // -p no:cacheprovider: no .pytest_cache in the tree. Exit 5 ("no tests collected") is a failure here.
  const r = spawnSync(python, ['-m', 'pytest', '-p', 'no:cacheprovider', 'tests'], {
    cwd: path.join(root, 'clients', 'python'),
    stdio: 'inherit',
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  if (r.status === 5) fail('python: pytest collected no tests');
  if (r.error || r.status !== 0) fail(`python: pytest failed (${r.error?.message ?? `exit ${r.status}`})`);
}

function go_() {
  const goDir = path.join(root, 'clients', 'go');
  const probe = spawnSync('go', ['version'], { stdio: 'pipe' });
  if (probe.error || probe.status !== 0) return missing('go', 'go (apt-get install golang-go golang-google-grpc-dev golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev)');
  const module = process.env.FSPD_GO_MODE === 'module';
  if (!module && !fs.existsSync('/usr/share/gocode/src/google.golang.org/grpc')) {
    return missing('go', "Debian's Go gRPC sources (apt-get install golang-google-grpc-dev golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev)");
  }
  const go = (args) => (module ? ['go', args] : [path.join(goDir, 'offline.sh'), args]);
  for (const args of [['vet', './...'], ['test', '-count=1', '-v', './...']]) {
    const [cmd, a] = go(args);
    const r = spawnSync(cmd, a, { cwd: goDir, stdio: 'inherit' });
    if (r.error || r.status !== 0) fail(`go: go ${args[0]} failed (${r.error?.message ?? `exit ${r.status}`})`);
  }
}

function missing(suite, what, detail = '') {
  const message = `${suite}: ${what} not found${detail ? `: ${detail.trim().split('\n').at(-1)}` : ''}`;
  if (process.env.CI) fail(`${message} (.ci/run must install it)`);
  console.warn(`test-clients: skipping the ${suite} client tests: ${message}`);
}

function fail(message) {
  console.error(`test-clients: ${message}`);
  process.exit(1);
}
