// The suites `npm test` runs (scripts/test.mjs prints their summary). Each one streams its output as it runs
// and resolves to a result:
//   { status: 'passed' | 'failed' | 'skipped', counts?: { pass, fail, skip }, detail?, reason?, install?, notes? }
// (notes: lines under the suite in the summary, e.g. how many tests were skipped for which reason).
// A suite whose toolchain is missing is 'skipped' with the reason and the command that installs it; the
// runner turns that into a failure under CI (CI set), where .ci/run must have installed everything.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const python = process.env.PYTHON ?? 'python3';

/** Runs a command with its output shown as it comes; resolves to its exit status and (when `capture`) its output. */
function run(cmd, args, { cwd = root, capture = false, env = process.env } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', capture ? 'pipe' : 'inherit', capture ? 'pipe' : 'inherit'] });
    let output = '';
    if (capture) {
      child.stdout.on('data', (b) => ((output += b), process.stdout.write(b)));
      child.stderr.on('data', (b) => ((output += b), process.stderr.write(b)));
    }
    child.on('error', (error) => resolve({ status: null, error, output }));
    child.on('close', (status, signal) => resolve({ status: status ?? (signal ? 128 : 1), output }));
  });
}

const exitText = (r) => (r.error ? r.error.message : `exit ${r.status}`);
const tempFile = (name) => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-test-')), name);
const linesOf = (file) =>
  fs.readFileSync(path.join(root, file), 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);

async function typecheck() {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = await run(process.execPath, [tsc, '--noEmit'], { capture: true });
  const errors = (r.output.match(/error TS\d+/g) ?? []).length;
  if (r.status === 0) return { status: 'passed', detail: 'no type errors' };
  return { status: 'failed', detail: errors ? `${errors} type error(s)` : `tsc: ${exitText(r)}` };
}

// The C++ tests with plain CMake, as a GPU machine without Node would run them.
async function native() {
  const build = path.join(root, 'native', 'build');
  const install = 'apt-get install cmake g++ make';
  const configure = await run('cmake', ['-S', 'native', '-B', build, '-DCMAKE_BUILD_TYPE=Release', '-DFSPD_BUILD_TESTS=ON']);
  // Missing CMake fails the suite outside CI too (as it always has): the addon needs it as well.
  if (configure.error) return { status: 'failed', reason: `cmake: ${configure.error.message}`, install };
  if (configure.status !== 0) return { status: 'failed', detail: `cmake configure: ${exitText(configure)}` };
  const compiled = await run('cmake', ['--build', build, '--parallel', String(os.availableParallelism())]);
  if (compiled.status !== 0) return { status: 'failed', detail: `cmake --build: ${exitText(compiled)}` };
  const r = await run('ctest', ['--test-dir', build, '--output-on-failure'], { capture: true });
  const m = /(\d+)% tests passed, (\d+) tests? failed out of (\d+)/.exec(r.output);
  if (!m) return { status: 'failed', detail: `ctest: no totals in its output (${exitText(r)})` };
  const total = Number(m[3]);
  const fail = Number(m[2]);
  const skip = (r.output.match(/\*\*\*Skipped/g) ?? []).length;
  const counts = { pass: total - fail - skip, fail, skip };
  // ctest names the tests that did not run, but shows no output of a skipped test: say how to see why.
  const notes = [...r.output.matchAll(/^\s+\d+ - (\S+) \((Skipped|Disabled)\)$/gm)].map(
    (m) => `${m[2].toLowerCase()}: ${m[1]} (why: ctest --test-dir native/build -R '^${m[1]}$' -V)`,
  );
  return { status: r.status === 0 && fail === 0 ? 'passed' : 'failed', counts, notes };
}

async function ts() {
  const files = fs.readdirSync(path.join(root, 'test')).filter((f) => f.endsWith('.test.ts')).sort().map((f) => path.join('test', f));
  const totalsFile = tempFile('ts-totals.json');
  const reporters = ['--test-reporter=spec', '--test-reporter-destination=stdout'];
  reporters.push(`--test-reporter=${path.join(root, 'scripts', 'test-ts-reporter.mjs')}`, `--test-reporter-destination=${totalsFile}`);
  // --test-timeout: a hang guard (a test file that never exits would otherwise stall CI until its own limit);
  // well above the slowest file (the package test, ~4 min on a loaded machine).
  const r = await run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=1200000', ...reporters, ...files]);
  let totals;
  try {
    totals = JSON.parse(fs.readFileSync(totalsFile, 'utf8'));
  } catch {
    return { status: 'failed', detail: `node --test: no totals (${exitText(r)})` };
  } finally {
    fs.rmSync(path.dirname(totalsFile), { recursive: true, force: true });
  }
  const c = totals.counts;
  const counts = { pass: c.pass ?? 0, fail: (c.fail ?? 0) + (c.cancelled ?? 0), skip: (c.skipped ?? 0) + (c.todo ?? 0) };
  return { status: r.status === 0 && counts.fail === 0 ? 'passed' : 'failed', counts, notes: skipNotes(totals.skipReasons) };
}

async function pythonSuite() {
  const need = ['grpc', 'google.protobuf', 'google.rpc.status_pb2', 'numpy', 'pytest'];
  const install = `${python} -m pip install -r clients/python/requirements-test.txt`;
  const probe = spawnSync(python, ['-c', `import ${need.join(', ')}`], { stdio: 'pipe', encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? probe.error.message : probe.stderr.trim().split('\n').at(-1);
    return { status: 'skipped', reason: `${python} cannot import ${need.join(', ')} (${why})`, install };
  }
  const junit = tempFile('pytest.xml');
  // -p no:cacheprovider: no .pytest_cache in the tree. Exit 5 ("no tests collected") is a failure here.
  const r = await run(python, ['-m', 'pytest', '-p', 'no:cacheprovider', `--junitxml=${junit}`, 'tests'], {
    cwd: path.join(root, 'clients', 'python'),
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  try {
    return pytestResult(r, junit);
  } finally {
    fs.rmSync(path.dirname(junit), { recursive: true, force: true });
  }
}

/** A pytest run's result from its exit status and JUnit report. Exit 5 ("no tests collected") is a failure. */
function pytestResult(r, junit) {
  if (r.status === 5) return { status: 'failed', detail: 'pytest collected no tests' };
  const report = fs.existsSync(junit) ? fs.readFileSync(junit, 'utf8') : '';
  const attrs = /<testsuite\b([^>]*)>/.exec(report)?.[1];
  if (!attrs) return { status: 'failed', detail: `pytest: no report (${exitText(r)})` };
  const skipReasons = {};
  // A module skipped at collection (pytest.importorskip at its top) says only "collection skipped" in the
  // message; its reason is in the element's text: ('<file>', <line>, 'Skipped: <reason>').
  for (const [, message, text] of report.matchAll(/<skipped\b[^>]*\bmessage="([^"]*)"[^>]*?(?:\/>|>([^<]*)<\/skipped>)/g)) {
    const why = message === 'collection skipped' ? (/Skipped: (.*?)(?:'|&apos;|&quot;|")\)\s*$/.exec(text ?? '')?.[1] ?? message) : message;
    skipReasons[why] = (skipReasons[why] ?? 0) + 1;
  }
  const attr = (name) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(attrs)?.[1] ?? 0);
  const fail = attr('failures') + attr('errors');
  const skip = attr('skipped');
  const counts = { pass: attr('tests') - fail - skip, fail, skip };
  return { status: r.status === 0 && fail === 0 ? 'passed' : 'failed', counts, notes: skipNotes(skipReasons) };
}

/** "N skipped: reason" lines, XML entities of a JUnit report decoded. */
function skipNotes(reasons) {
  const decode = (t) => t.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return Object.entries(reasons).map(([why, n]) => `${n} skipped: ${decode(why)}`);
}

// The Python client as users get it: `pip wheel` builds clients/python into a wheel, which is installed with its
// dependencies (from pip's configured index) into a new venv without the system's site-packages; the client
// suite then runs against the installed wheel (pytest with the project's settings minus `pythonpath = src`).
// PyTorch is not installed there (a large download), so the torch tests skip; the python suite runs them.
async function pythonWheel() {
  const install = 'apt-get install python3-venv python3-pip (Debian; elsewhere they come with Python)';
  const probe = spawnSync(python, ['-c', 'import venv, pip'], { stdio: 'pipe', encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return { status: 'skipped', reason: `${python} lacks venv or pip (${probe.error?.message ?? probe.stderr.trim().split('\n').at(-1)})`, install };
  }
  // A local mirror, where the machine has one (as .ci/run uses it): pip otherwise retries an unreachable
  // default index for every package first.
  const mirror = !process.env.PIP_INDEX_URL && fs.existsSync('/opt/pypi/simple') ? { PIP_INDEX_URL: 'file:///opt/pypi/simple' } : {};
  const pipEnv = { ...process.env, ...mirror };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-wheel-'));
  try {
    const clientDir = path.join(root, 'clients', 'python');
    const built = await run(python, ['-m', 'pip', 'wheel', '--no-deps', '--wheel-dir', path.join(work, 'dist'), clientDir], { env: pipEnv });
    if (built.status !== 0) return { status: 'failed', detail: `pip wheel: ${exitText(built)}` };
    const wheels = fs.readdirSync(path.join(work, 'dist'));
    const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
    if (wheels.length !== 1 || !wheels[0].startsWith(`fspd-${version}-py3-none-any`)) {
      return { status: 'failed', detail: `expected one wheel fspd-${version}-py3-none-any.whl (package.json's version), got ${wheels.join(', ')}` };
    }
    const venv = path.join(work, 'venv');
    const made = await run(python, ['-m', 'venv', venv]);
    if (made.status !== 0) return { status: 'failed', detail: `python -m venv: ${exitText(made)}` };
    const vpython = path.join(venv, 'bin', 'python');
    const installed = await run(vpython, ['-m', 'pip', 'install', '-q', path.join(work, 'dist', wheels[0]), 'pytest'], { env: pipEnv });
    if (installed.status !== 0) return { status: 'failed', detail: `pip install of the wheel: ${exitText(installed)}` };
    // The venv's fspd must be the wheel's, at package.json's version.
    const where = spawnSync(vpython, ['-c', 'import fspd, sys; print(fspd.__file__); print(fspd.__version__)'], { encoding: 'utf8', cwd: work });
    const [file, imported] = where.stdout.trim().split('\n');
    if (where.status !== 0 || !file?.startsWith(venv) || imported !== version) {
      return { status: 'failed', detail: `the venv imports fspd from ${file ?? '?'} at ${imported ?? '?'}, not the wheel's ${version}: ${where.stderr}` };
    }
    const ini = path.join(work, 'pytest.ini');
    const settings = spawnSync(vpython, ['-c', PYTEST_INI_FROM_PYPROJECT, path.join(clientDir, 'pyproject.toml'), ini], { encoding: 'utf8' });
    if (settings.status !== 0) return { status: 'failed', detail: `pytest settings: ${settings.stderr}` };
    const junit = path.join(work, 'pytest.xml');
    const r = await run(vpython, ['-m', 'pytest', '-c', ini, '--rootdir', clientDir, '-p', 'no:cacheprovider', `--junitxml=${junit}`, path.join(clientDir, 'tests')], {
      cwd: work,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', FSPD_TEST_WITHOUT_TORCH: '1' },
    });
    return pytestResult(r, junit);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

// pyproject's [tool.pytest.ini_options] as a pytest.ini, without `pythonpath` (which would put src/ first).
const PYTEST_INI_FROM_PYPROJECT = `
import sys, tomllib
options = tomllib.load(open(sys.argv[1], 'rb'))['tool']['pytest']['ini_options']
options.pop('pythonpath', None)
def value(v):
    return ''.join('\\n  ' + x for x in v) if isinstance(v, list) else ' ' + str(v)
open(sys.argv[2], 'w').write('[pytest]\\n' + ''.join(k + ' =' + value(v) + '\\n' for k, v in options.items()))
`;

// go vet + go test in clients/go, offline (clients/go/offline.sh: GOPATH mode over Debian's Go packages);
// FSPD_GO_MODE=module runs plain `go` in module mode instead (machines with a module proxy).
async function go() {
  const goDir = path.join(root, 'clients', 'go');
  const install = `apt-get install ${linesOf('clients/go/debian-packages.txt').join(' ')}`;
  const module = process.env.FSPD_GO_MODE === 'module';
  const probe = spawnSync('go', ['version'], { stdio: 'pipe' });
  if (probe.error || probe.status !== 0) return { status: 'skipped', reason: 'no go command', install };
  if (!module && !fs.existsSync('/usr/share/gocode/src/google.golang.org/grpc')) {
    return { status: 'skipped', reason: "Debian's Go gRPC sources are not in /usr/share/gocode", install };
  }
  const go = module ? 'go' : path.join(goDir, 'offline.sh');
  const vet = await run(go, ['vet', './...'], { cwd: goDir });
  if (vet.status !== 0) return { status: 'failed', detail: `go vet: ${exitText(vet)}` };
  const r = await run(go, ['test', '-count=1', '-v', './...'], { cwd: goDir, capture: true });
  const count = (word) => (r.output.match(new RegExp(`^\\s*--- ${word}: `, 'gm')) ?? []).length;
  const counts = { pass: count('PASS'), fail: count('FAIL'), skip: count('SKIP') };
  const status = r.status === 0 && counts.fail === 0 ? 'passed' : 'failed';
  return { status, counts, ...(status === 'failed' && counts.fail === 0 ? { detail: `go test: ${exitText(r)}` } : {}) };
}

/** In `npm test` order. */
export const SUITES = { typecheck, native, ts, python: pythonSuite, 'python-wheel': pythonWheel, go };
