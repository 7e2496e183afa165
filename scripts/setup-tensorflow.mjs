#!/usr/bin/env node
// `npm run setup:tensorflow [-- --gpu]`: makes the `tensorflow` TensorFlow.js backend available.
//
// @tensorflow/tfjs-node's own installer downloads a libtensorflow build from a host that no longer serves
// it (and that many machines cannot reach). This script instead:
//   1. installs @tensorflow/tfjs-node (or -gpu) at the version of the installed @tensorflow/tfjs, with
//      --no-save --ignore-scripts: package.json and package-lock.json stay as they are, so `npm ci` on a
//      machine that never runs this script is unaffected. (`npm ci`, and `npm install` without
//      arguments, remove it again: run this script once more afterwards; its cache makes that quick.)
//   2. takes libtensorflow from the official TensorFlow pip wheel (`pip download --no-deps
//      tensorflow-cpu==2.21.0`, or `tensorflow==2.21.0` with --gpu), kept in a cache folder;
//   3. extracts libtensorflow_cc.so.2 + libtensorflow_framework.so.2 into the package's deps/lib (with the
//      libtensorflow.so / libtensorflow_framework.so links its binding.gyp links against) and the C API
//      headers the binding includes (and what they include) into deps/include;
//   4. builds the binding with node-gyp and puts tfjs_binding.node where tfjs-node loads it
//      (lib/napi-v8/), then checks in a fresh Node that it loads and that conv2d agrees with the cpu backend.
// A second run checks that the binding loads and stops there.
//
// Options:
//   --gpu              @tensorflow/tfjs-node-gpu with the `tensorflow` wheel (needs CUDA 12 + cuDNN 9
//                      libraries on the library path at run time to use a GPU)
//   --wheel FILE       use this TensorFlow wheel instead of running pip download
//   --cache-dir DIR    where wheels and built bindings are kept (default: $FSPD_CACHE_DIR, else
//                      $XDG_CACHE_HOME/fspd, else ~/.cache/fspd)
//   --force            reinstall, re-extract and rebuild everything
//   --help
// Environment: PYTHON (the Python with pip), CXX (the C++ compiler), FSPD_CACHE_DIR.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const TF_VERSION = '2.21.0';
// Any CPython tag will do: only the C libraries are used. Pinning it makes pip pick the same wheel
// whatever Python runs pip.
const WHEEL_PYTHON = '3.11';
const MANYLINUX = ['2_17', '2_27', '2_28', '2_31', '2_34', '2_35'];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const t0 = Date.now();

let opts;
try {
  opts = parseArgs({
    options: {
      gpu: { type: 'boolean', default: false },
      wheel: { type: 'string' },
      'cache-dir': { type: 'string' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }).values;
} catch (err) {
  fail(err.message, ['run `npm run setup:tensorflow -- --help` for the options']);
}
if (opts.help) {
  const text = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  console.log(text.slice(1, text.findIndex((l) => l.startsWith('import'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
  process.exit(0);
}

const gpu = opts.gpu;
const pkgName = gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
const otherPkgName = gpu ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
const wheelDist = gpu ? 'tensorflow' : 'tensorflow-cpu';
const pkgDir = path.join(root, 'node_modules', ...pkgName.split('/'));
const depsDir = path.join(pkgDir, 'deps');
const markerPath = path.join(depsDir, 'fspd-setup.json');
const cacheDir = path.resolve(
  opts['cache-dir'] ?? process.env.FSPD_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'fspd'),
);

// ---------------------------------------------------------------------------------------------------------
// 0. What is there
if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch)) {
  fail(`this script supports Linux on x64 and arm64, not ${process.platform}-${process.arch}`, [
    `on a machine with internet access, ${pkgName}'s own installer may work: npm install --no-save ${pkgName}@<the @tensorflow/tfjs version>`,
    'or use the pure-JS backend: FSPD_BACKEND=cpu',
  ]);
}
const tfjsVersion = readJson(path.join(root, 'node_modules/@tensorflow/tfjs/package.json'))?.version;
if (!tfjsVersion) fail('@tensorflow/tfjs is not installed in this project', ['run `npm ci` (or `npm install`) first']);
const napiVersion = pickNapiVersion();
const bindingRel = path.join('lib', `napi-v${napiVersion}`, 'tfjs_binding.node');
const bindingPath = path.join(pkgDir, bindingRel);
const wheelKey = opts.wheel ? path.basename(opts.wheel) : `${wheelDist}==${TF_VERSION}`;
const cachedBinding = path.join(
  cacheDir,
  'bindings',
  `${pkgName.replace('@tensorflow/', '')}-${tfjsVersion}-${wheelKey.replace(/[^\w.=-]/g, '_')}-napi${napiVersion}-${process.platform}-${process.arch}.node`,
);
step(`${pkgName}@${tfjsVersion} with libtensorflow from ${wheelKey} (N-API ${napiVersion}, cache ${cacheDir})`);

const installedVersion = () => readJson(path.join(pkgDir, 'package.json'))?.version;
const marker = () => readJson(markerPath);
const depsOk = () => {
  const m = marker();
  return m?.wheelKey === wheelKey && m?.tfjsNode === tfjsVersion && ['libtensorflow.so', 'libtensorflow_framework.so'].every((f) => fs.existsSync(path.join(depsDir, 'lib', f)));
};

// Quick path: everything in place and the binding loads.
if (!opts.force && installedVersion() === tfjsVersion && depsOk() && fs.existsSync(bindingPath)) {
  const check = verify();
  if (check.ok) {
    step(`already set up: ${check.summary}`);
    done();
  }
  step(`the existing binding does not load (${check.error}); setting it up again`);
}

// What has to be done; the checks that can fail come before anything is changed.
const needPackage = opts.force || installedVersion() !== tfjsVersion;
const needDeps = needPackage || !depsOk();
const willBuild = opts.force || ((needDeps || !fs.existsSync(bindingPath)) && !fs.existsSync(cachedBinding));
if (willBuild) checkToolchain();
const python = needDeps ? findPython(!opts.wheel) : undefined;
let wheel;
if (needDeps) {
  checkFreeSpace(path.join(root, 'node_modules'), gpu ? 2500 : 1000, 'for libtensorflow under node_modules');
  wheel = opts.wheel ? path.resolve(opts.wheel) : findOrDownloadWheel(python);
  if (!fs.existsSync(wheel)) fail(`wheel not found: ${wheel}`, ['check the --wheel path']);
}

// ---------------------------------------------------------------------------------------------------------
// 1. The npm package, without its install script
if (needPackage) {
  const specs = [`${pkgName}@${tfjsVersion}`];
  // npm prunes packages that are in neither package.json nor the lockfile, so keep the other variant.
  const otherVersion = readJson(path.join(root, 'node_modules', ...otherPkgName.split('/'), 'package.json'))?.version;
  if (otherVersion) specs.push(`${otherPkgName}@${otherVersion}`);
  step(`installing ${specs.join(' ')} (npm install --no-save --ignore-scripts)`);
  const npm = process.env.npm_execpath && /\.c?js$/.test(process.env.npm_execpath) ? [process.execPath, process.env.npm_execpath] : ['npm'];
  const r = run(npm[0], [...npm.slice(1), 'install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', ...specs], { cwd: root });
  if (r.status !== 0) {
    fail(`npm install ${specs.join(' ')} failed (exit ${r.status ?? r.signal})`, [
      'check that the npm registry is reachable (npm ping) and that `npm ci` works in this project',
      'see the npm output above',
    ]);
  }
  if (installedVersion() !== tfjsVersion) fail(`${pkgName} did not end up at ${tfjsVersion} in ${pkgDir}`, ['see the npm output above']);
}
checkOneTfjsCore();

// ---------------------------------------------------------------------------------------------------------
// 2 + 3. libtensorflow from the wheel
if (needDeps) {
  step(`extracting libtensorflow and the C API headers from ${path.basename(wheel)} into ${path.relative(root, depsDir)}/`);
  const partial = `${depsDir}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  const r = spawnSync(python, ['-c', extractPy(), wheel, partial, path.join(pkgDir, 'binding')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    fs.rmSync(partial, { recursive: true, force: true });
    fail(`extracting ${path.basename(wheel)} failed: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-3).join(' / ')}`, [
      'the wheel may be incomplete: delete it and run again, or pass another with --wheel FILE',
      `check the free disk space (about ${gpu ? '2' : '1'} GB is needed under node_modules)`,
    ]);
  }
  const info = JSON.parse(r.stdout);
  fs.symlinkSync('libtensorflow_cc.so.2', path.join(partial, 'lib', 'libtensorflow.so'));
  fs.symlinkSync('libtensorflow_framework.so.2', path.join(partial, 'lib', 'libtensorflow_framework.so'));
  fs.writeFileSync(path.join(partial, 'fspd-setup.json'), JSON.stringify({ wheelKey, wheel: path.basename(wheel), tensorflow: TF_VERSION, tfjsNode: tfjsVersion }, null, 2) + '\n');
  fs.rmSync(depsDir, { recursive: true, force: true });
  fs.renameSync(partial, depsDir);
  fs.rmSync(bindingPath, { force: true }); // built against other libraries
  step(`extracted ${info.headers} headers and ${mb(info.libBytes)} of libraries`);
}

// ---------------------------------------------------------------------------------------------------------
// 4. The binding
let built = false;
if (!opts.force && !fs.existsSync(bindingPath) && fs.existsSync(cachedBinding)) {
  step(`reusing the binding built earlier (${cachedBinding})`);
  fs.mkdirSync(path.dirname(bindingPath), { recursive: true });
  fs.copyFileSync(cachedBinding, bindingPath);
}
if (opts.force || !fs.existsSync(bindingPath)) {
  build();
  built = true;
}

let check = verify();
if (!check.ok && !built) {
  step(`the binding does not load (${check.error}); rebuilding it`);
  build();
  check = verify();
}
if (!check.ok) {
  fail(`${pkgName} does not work after the build: ${check.error}`, [
    'run again with --force to start from scratch',
    `check which libraries the binding misses: ldd ${bindingPath}`,
  ]);
}
try {
  fs.mkdirSync(path.dirname(cachedBinding), { recursive: true });
  fs.copyFileSync(bindingPath, cachedBinding);
} catch {
  // The cache only saves a rebuild next time.
}
step(`ready: ${check.summary}`);
done();

// ---------------------------------------------------------------------------------------------------------

function build() {
  const nodeGyp = findNodeGyp();
  checkToolchain();
  const python = findPython(false);
  const args = [
    ...nodeGyp.slice(1),
    'rebuild',
    '--loglevel=warn',
    `--python=${python}`,
    '--module_name=tfjs_binding',
    `--module_path=lib/napi-v${napiVersion}`,
    `--napi_build_version=${napiVersion}`,
  ];
  const nodedir = localNodeHeaders();
  if (nodedir) args.push(`--nodedir=${nodedir}`); // else node-gyp downloads the headers
  step(`building the binding with node-gyp (about 15-30 s)${nodedir ? `, Node headers from ${nodedir}/include/node` : ''}`);
  const r = spawnSync(nodeGyp[0], args, { cwd: pkgDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim().split('\n');
    console.error(out.slice(-40).join('\n'));
    fail(`node-gyp rebuild failed (exit ${r.status ?? r.signal})`, [
      'see the compiler output above',
      'Debian/Ubuntu: apt-get install g++ make python3',
      nodedir ? 'the Node headers were taken from ' + nodedir : 'without local Node headers node-gyp downloads them: it needs internet access, or install the headers (Debian: apt-get install libnode-dev / nodejs headers)',
      'run again with --force to start from scratch',
    ]);
  }
  const out = path.join(pkgDir, 'build', 'Release', 'tfjs_binding.node');
  if (!fs.existsSync(out)) fail(`node-gyp finished but ${out} is missing`, ['run again with --force']);
  fs.mkdirSync(path.dirname(bindingPath), { recursive: true });
  fs.copyFileSync(out, bindingPath);
  fs.rmSync(path.join(pkgDir, 'build'), { recursive: true, force: true });
}

/** Loads the package in a fresh Node through the project's own @tensorflow/tfjs and runs a conv2d on both backends. */
function verify() {
  const code = `
    const tf = await import('@tensorflow/tfjs');
    const node = await import(${JSON.stringify(pkgName)});
    if (tf.getBackend() !== 'tensorflow') throw new Error('the project\\'s @tensorflow/tfjs does not see the tensorflow backend (two tfjs-core copies?)');
    const x = tf.tensor4d(Array.from({ length: 2 * 9 * 9 * 3 }, (_, i) => Math.sin(i)), [2, 9, 9, 3]);
    const w = tf.tensor4d(Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.cos(i)), [3, 3, 3, 4]);
    const a = tf.conv2d(x, w, 1, 'same').dataSync();
    await tf.setBackend('cpu');
    const b = tf.conv2d(x, w, 1, 'same').dataSync();
    let err = 0;
    for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
    if (!(err < 1e-4)) throw new Error('conv2d differs from the cpu backend by ' + err);
    const binding = tf.engine().findBackend('tensorflow').binding;
    console.log(JSON.stringify({ tf: binding.TF_Version, err }));
  `;
  const env = { ...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2' };
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status === 0) {
    try {
      const { tf, err } = JSON.parse(r.stdout.trim().split('\n').at(-1));
      return { ok: true, summary: `${pkgName}@${tfjsVersion} loads libtensorflow ${tf}; conv2d matches the cpu backend (max rel. diff ${err.toExponential(1)})` };
    } catch {
      // fall through
    }
  }
  const lines = `${r.stderr ?? ''}${r.stdout ?? ''}`.split('\n').filter((l) => /Error|error:/.test(l));
  return { ok: false, error: (lines[0] ?? `exit ${r.status ?? r.signal}`).trim().slice(0, 400) };
}

/** The one @tensorflow/tfjs-core must serve both the project and tfjs-node, or tfjs-node registers its backend elsewhere. */
function checkOneTfjsCore() {
  const fromRoot = createRequire(path.join(root, 'package.json'));
  const fromPkg = createRequire(path.join(pkgDir, 'package.json'));
  for (const dep of ['@tensorflow/tfjs', '@tensorflow/tfjs-core']) {
    let a, b;
    try {
      a = fromRoot.resolve(`${dep}/package.json`);
      b = fromPkg.resolve(`${dep}/package.json`);
    } catch (err) {
      fail(`cannot resolve ${dep}: ${err.message.split('\n')[0]}`, ['run `npm ci`, then this script again']);
    }
    if (a !== b) {
      fail(`${pkgName} uses its own ${dep} (${path.relative(root, b)}), not the project's (${path.relative(root, a)})`, [
        `keep @tensorflow/tfjs in package.json at exactly the version of ${pkgName} (${tfjsVersion})`,
        'run `npm dedupe`, then this script again',
      ]);
    }
  }
}

function findOrDownloadWheel(python) {
  const dir = path.join(cacheDir, 'wheels');
  const prefix = `${wheelDist.replace(/-/g, '_')}-${TF_VERSION}-`;
  const tag = process.arch === 'x64' ? 'x86_64' : 'aarch64';
  const cached = () => (fs.existsSync(dir) ? fs.readdirSync(dir) : []).filter((f) => f.startsWith(prefix) && f.endsWith(`${tag}.whl`)).sort();
  const hit = cached()[0];
  if (hit) {
    step(`using the cached wheel ${path.join(dir, hit)}`);
    return path.join(dir, hit);
  }
  fs.mkdirSync(dir, { recursive: true });
  checkFreeSpace(dir, gpu ? 700 : 300, 'for the wheel in the cache');
  const pyTag = `cp${WHEEL_PYTHON.replace('.', '')}`;
  const platforms = MANYLINUX.flatMap((v) => ['--platform', `manylinux_${v}_${tag}`]).concat(['--platform', `manylinux2014_${tag}`]);
  const args = ['-m', 'pip', 'download', '--no-deps', '--no-cache-dir', '--only-binary=:all:', '--disable-pip-version-check', '--python-version', WHEEL_PYTHON, '--implementation', 'cp', '--abi', pyTag, ...platforms, '-d', dir, `${wheelDist}==${TF_VERSION}`];
  step(`downloading ${wheelDist}==${TF_VERSION} with pip (about ${gpu ? '600' : '275'} MB) into ${dir}`);
  const started = Date.now();
  const r = run(python, args, {});
  const got = cached()[0];
  if (r.status !== 0 || !got) {
    fail(`pip could not download ${wheelDist}==${TF_VERSION} for ${pyTag}-manylinux-${tag}`, [
      'check that pip reaches a package index: `pip download --no-deps ' + `${wheelDist}==${TF_VERSION}` + '` (set PIP_INDEX_URL or a pip.conf for a mirror)',
      `download the wheel elsewhere (pip download --no-deps --python-version ${WHEEL_PYTHON} --only-binary=:all: ${wheelDist}==${TF_VERSION}), copy it here and pass --wheel FILE, or put it into ${dir}`,
      gpu ? 'without a GPU wheel, `npm run setup:tensorflow` (no --gpu) sets up the CPU build' : 'see the pip output above',
    ]);
  }
  step(`downloaded ${got} (${mb(fs.statSync(path.join(dir, got)).size)} in ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  return path.join(dir, got);
}

/** A Python (for node-gyp and to read the wheel), with pip when the wheel must be downloaded. */
function findPython(needPip) {
  for (const py of [process.env.PYTHON, 'python3', 'python'].filter(Boolean)) {
    const r = spawnSync(py, needPip ? ['-m', 'pip', '--version'] : ['-c', 'import zipfile'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  fail(`no Python${needPip ? ' with pip' : ''} found (tried $PYTHON, python3, python)`, [
    `Debian/Ubuntu: apt-get install python3${needPip ? ' python3-pip' : ''}`,
    `or set PYTHON to a Python 3${needPip ? ' that has pip' : ''}`,
    ...(needPip ? ['or download the wheel elsewhere and pass it with --wheel FILE'] : []),
  ]);
}

function checkToolchain() {
  const cxx = process.env.CXX || 'g++';
  const missing = [which(cxx.split(' ')[0]) ? null : `the C++ compiler ${cxx}`, which('make') ? null : 'make'].filter(Boolean);
  if (missing.length) {
    fail(`cannot build the binding: ${missing.join(' and ')} not found`, [
      'Debian/Ubuntu: apt-get install g++ make python3',
      'or point CXX at your C++ compiler',
    ]);
  }
}

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  try {
    candidates.push(createRequire(path.join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not a project dependency
  }
  for (const c of candidates) if (c && fs.existsSync(c)) return [process.execPath, c];
  if (which('node-gyp')) return ['node-gyp'];
  fail('node-gyp not found (npm normally bundles it)', ['npm install -g node-gyp', 'or run this script through `npm run setup:tensorflow`']);
}

/** The Node install prefix when its include/node headers match this Node, so node-gyp need not download them. */
function localNodeHeaders() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  try {
    const h = fs.readFileSync(path.join(prefix, 'include', 'node', 'node_version.h'), 'utf8');
    const v = ['MAJOR', 'MINOR', 'PATCH'].map((k) => h.match(new RegExp(`#define NODE_${k}_VERSION (\\d+)`))?.[1]).join('.');
    if (`v${v}` === process.version && fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi'))) return prefix;
  } catch {
    // no local headers
  }
  return undefined;
}

function pickNapiVersion() {
  // As @mapbox/node-pre-gyp does when tfjs-node looks for its binding: the highest version the package
  // lists that this Node supports.
  const listed = readJson(path.join(pkgDir, 'package.json'))?.binary?.napi_versions ?? [3, 4, 5, 6, 7, 8];
  const supported = listed.filter((v) => v <= Number(process.versions.napi));
  return Math.max(...supported);
}

function checkFreeSpace(dir, needMb, what) {
  let free;
  try {
    const st = fs.statfsSync(dir);
    free = (st.bavail * st.bsize) / 1e6;
  } catch {
    return; // cannot tell
  }
  if (free < needMb) {
    fail(`only ${free.toFixed(0)} MB free in ${dir}; about ${needMb} MB are needed ${what}`, [
      'free some disk space',
      `or point the cache elsewhere: --cache-dir DIR or FSPD_CACHE_DIR`,
    ]);
  }
}

function which(cmd) {
  return spawnSync('sh', ['-c', `command -v "${cmd}"`], { stdio: 'ignore' }).status === 0;
}

function run(cmd, args, options) {
  return spawnSync(cmd, args, { stdio: 'inherit', ...options });
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function mb(bytes) {
  return `${(bytes / 1e6).toFixed(0)} MB`;
}

function step(msg) {
  console.log(`setup:tensorflow [${((Date.now() - t0) / 1000).toFixed(1)} s] ${msg}`);
}

function done() {
  step('done');
  process.exit(0);
}

function fail(why, solutions) {
  console.error([`setup:tensorflow: ${why}.`, 'Possible solutions:', ...solutions.map((s) => `  - ${s}`)].join('\n'));
  process.exit(1);
}

// Extracts the two libraries and the closure of the TensorFlow headers that the binding's sources include.
// argv: wheel, destination folder, the binding's source folder. Prints {headers, libBytes} as JSON.
function extractPy() {
  return String.raw`
import json, os, re, shutil, sys, zipfile
wheel, dest, binding = sys.argv[1:4]
INC = 'tensorflow/include/'
LIBS = ['tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2']
z = zipfile.ZipFile(wheel)
names = set(z.namelist())
missing = [n for n in LIBS if n not in names]
if missing:
    sys.exit('the wheel has no ' + ', '.join(missing))
pat = re.compile(rb'^[ \t]*#[ \t]*include[ \t]*[<"]([^>"]+)[>"]', re.M)
todo = []
for f in sorted(os.listdir(binding)):
    if f.endswith(('.cc', '.h')):
        todo += [m.group(1).decode() for m in pat.finditer(open(os.path.join(binding, f), 'rb').read())]
roots = [h for h in todo if INC + h in names]
if not any(h == 'tensorflow/c/c_api.h' for h in roots):
    sys.exit('the wheel has no tensorflow/include/tensorflow/c/c_api.h')
seen = set()
while todo:
    h = os.path.normpath(todo.pop())
    if h in seen or INC + h not in names:
        continue
    seen.add(h)
    data = z.read(INC + h)
    out = os.path.join(dest, 'include', h)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, 'wb') as f:
        f.write(data)
    for m in pat.finditer(data):
        inc = m.group(1).decode()
        todo += [inc, os.path.join(os.path.dirname(h), inc)]
os.makedirs(os.path.join(dest, 'lib'), exist_ok=True)
size = 0
for n in LIBS:
    out = os.path.join(dest, 'lib', os.path.basename(n))
    with z.open(n) as src, open(out, 'wb') as f:
        shutil.copyfileobj(src, f, 1 << 22)
    os.chmod(out, 0o755)
    size += os.path.getsize(out)
print(json.dumps({'headers': len(seen), 'libBytes': size}))
`;
}
