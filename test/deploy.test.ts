// deploy/: the Kubernetes manifests validated offline against the Kubernetes 1.34 schemas (strict: unknown
// fields fail), and checked against the server they run: args parsed with the real `fspd serve` flags, the
// config they add up to loaded by loadConfig, probes on the health port, the unix socket in the shared
// volume, metrics annotations, TLS files in the Secret volume, the shutdown-time budget. The Dockerfiles
// (no Docker here): COPY sources, npm scripts, script flags and CLI arguments they use exist.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { healthOptions, serveOptions } from '../src/cli/flags.js';
import { loadConfig, type ConfigFlags, type ServerConfig } from '../src/server/config.js';
import { copyArgs, envPairs, execForm, readDockerfile, type Instruction } from './helpers/dockerfile.js';
import { loadManifests, quantity, validateObject, type Manifest } from './helpers/k8s.js';

const root = path.resolve(import.meta.dirname, '..');
const k8sDir = path.join(root, 'deploy/k8s');
const dockerDir = path.join(root, 'deploy/docker');
const DIRS = ['sidecar', 'teacher', 'students'] as const;
const manifests = Object.fromEntries(DIRS.map((d) => [d, loadManifests(path.join(k8sDir, d))])) as Record<(typeof DIRS)[number], Manifest[]>;
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string; scripts: Record<string, string> };

type Obj = Record<string, any>;

function one(dir: (typeof DIRS)[number], kind: string, name?: string): Obj {
  const found = manifests[dir].filter((m) => m.doc.kind === kind && (name === undefined || m.doc.metadata?.name === name));
  assert.equal(found.length, 1, `${dir}: one ${kind}${name ? ` '${name}'` : ''}, found ${found.length}`);
  return found[0]!.doc;
}

/** Parses a command line with the real flag set of a subcommand; throws on unknown flags or extra words. */
function parseArgs(args: string[]): { command: string; flags: Obj } {
  const [command, ...rest] = args;
  const options = { serve: serveOptions, health: healthOptions }[command as 'serve' | 'health'];
  assert.ok(options, `a fspd subcommand with options: '${command}'`);
  const cmd = options(new Command(command))
    .exitOverride()
    .allowExcessArguments(false)
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  cmd.parse(rest, { from: 'user' });
  return { command: command!, flags: cmd.opts() };
}

// The image's defaults are the bottom layer of every fspd container's environment.
const imageEnv = (file: string) => Object.assign({}, ...readDockerfile(file).filter((i) => i.keyword === 'ENV' && isLastStage(file, i)).map(envPairs)) as Record<string, string>;
const isLastStage = (file: string, ins: Instruction) => ins.stage === Math.max(...readDockerfile(file).map((i) => i.stage));
const cpuImageEnv = imageEnv(path.join(dockerDir, 'Dockerfile'));

/** Every FSPD_* variable fspd reads: those loadConfig asks for (seen through a Proxy) and env.FSPD_* in src/. */
function knownVariables(): Set<string> {
  const known = new Set<string>();
  loadConfig({}, new Proxy({}, { get: (_, key) => void (typeof key === 'string' && known.add(key)) }));
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  for (const file of walk(path.join(root, 'src'))) for (const m of fs.readFileSync(file, 'utf8').matchAll(/\benv\.(FSPD_[A-Z0-9_]+)/g)) known.add(m[1]!);
  return known;
}

interface Fspd {
  pod: Obj;
  container: Obj;
  env: Record<string, string>;
  flags: ConfigFlags;
  config: ServerConfig;
}

/** The fspd container of a Deployment's pod: its environment (image, ConfigMaps, env) and the config it loads. */
function fspdOf(dir: (typeof DIRS)[number], deployment: Obj, where: 'initContainers' | 'containers'): Fspd {
  const pod = deployment.spec.template;
  const container = (pod.spec[where] as Obj[]).find((c) => c.name === 'fspd');
  assert.ok(container, `${dir}: an fspd container in ${where}`);
  assert.equal(container.command, undefined, `${dir}: fspd keeps the image's ENTRYPOINT (node bin/fspd.js)`);
  const env: Record<string, string> = { ...cpuImageEnv };
  for (const from of container.envFrom ?? []) {
    assert.ok(from.configMapRef, `${dir}: envFrom only from ConfigMaps`);
    Object.assign(env, one(dir, 'ConfigMap', from.configMapRef.name).data);
  }
  for (const e of container.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    env[e.name] = ref ? `secret:${ref.name}/${ref.key}` : e.value;
  }
  const { command, flags } = parseArgs(container.args);
  assert.equal(command, 'serve', `${dir}: fspd runs serve`);
  return { pod, container, env, flags, config: loadConfig(flags, env) };
}

function once<T>(make: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: make() }).v;
}

const portOf = (address: string) => Number(address.slice(address.lastIndexOf(':') + 1));
const hostOf = (address: string) => address.slice(0, address.lastIndexOf(':'));
const WILDCARD = ['0.0.0.0', '[::]'];

/** The volume mount of `container` that holds `file`, and the volume. */
function mountOf(pod: Obj, container: Obj, file: string): { mount: Obj; volume: Obj; rel: string } | undefined {
  const mounts = (container.volumeMounts ?? []) as Obj[];
  const mount = mounts
    .filter((m) => file === m.mountPath || file.startsWith(`${m.mountPath.replace(/\/$/, '')}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  if (!mount) return undefined;
  const volume = (pod.spec.volumes as Obj[]).find((v) => v.name === mount.name);
  assert.ok(volume, `volume '${mount.name}' is declared`);
  return { mount, volume, rel: path.posix.relative(mount.mountPath, file) };
}

function preStopSeconds(container: Obj): number {
  const hook = container.lifecycle?.preStop;
  if (!hook) return 0;
  if (hook.sleep) return hook.sleep.seconds;
  const cmd = hook.exec?.command as string[] | undefined;
  assert.ok(cmd && cmd[0] === 'sleep' && cmd.length === 2, `a preStop this test can time: sleep N, got ${JSON.stringify(hook)}`);
  return Number(cmd[1]);
}

/** Checks shared by every fspd container: probes, ports, metrics, TLS, state, budget, limits, identity. */
function checkFspd(dir: (typeof DIRS)[number], f: Fspd): void {
  const { pod, container, env, config } = f;
  const ports = (container.ports ?? []) as Obj[];
  const known = knownVariables();
  for (const cm of manifests[dir].filter((m) => m.doc.kind === 'ConfigMap')) {
    for (const key of Object.keys(cm.doc.data ?? {}).filter((k) => k.startsWith('FSPD_'))) assert.ok(known.has(key), `${dir}: ${key} in ConfigMap ${cm.doc.metadata.name} is not read by fspd`);
  }

  // Probes: gRPC on the plaintext health port, which listens on the pod IP.
  assert.ok(config.healthAddress, `${dir}: a health port (FSPD_HEALTH_ADDRESS / --health-address)`);
  assert.ok(WILDCARD.includes(hostOf(config.healthAddress)), `${dir}: the kubelet probes the pod IP: health address ${config.healthAddress} must listen on all interfaces`);
  const healthPort = portOf(config.healthAddress);
  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
    assert.equal(container[probe]?.grpc?.port, healthPort, `${dir}: ${probe} is a gRPC probe on the health port ${healthPort}`);
  }
  assert.ok(ports.some((p) => p.containerPort === healthPort), `${dir}: containerPort ${healthPort} (health) declared`);

  // Metrics: the container port named metrics, the Prometheus annotations.
  const metricsPort = portOf(config.metricsAddress);
  assert.ok(WILDCARD.includes(hostOf(config.metricsAddress)), `${dir}: metrics address ${config.metricsAddress} must listen on all interfaces to be scraped`);
  assert.equal(ports.find((p) => p.name === 'metrics')?.containerPort, metricsPort, `${dir}: port 'metrics' = FSPD_METRICS_ADDRESS port`);
  const ann = pod.metadata.annotations ?? {};
  assert.equal(ann['prometheus.io/scrape'], 'true', `${dir}: prometheus.io/scrape`);
  assert.equal(Number(ann['prometheus.io/port']), metricsPort, `${dir}: prometheus.io/port = the metrics port`);
  assert.equal(ann['prometheus.io/path'], '/metrics', `${dir}: prometheus.io/path`);

  // Every main TCP address has its container port.
  for (const a of config.addresses.filter((x) => !x.startsWith('unix:'))) assert.ok(ports.some((p) => p.containerPort === portOf(a)), `${dir}: containerPort for ${a}`);

  // Token and TLS from the Secret.
  assert.match(env.FSPD_TOKEN ?? '', /^secret:/, `${dir}: FSPD_TOKEN comes from a Secret`);
  assert.ok(config.tls, `${dir}: TLS on`);
  for (const file of [config.tls.cert, config.tls.key, ...(config.tls.ca ? [config.tls.ca] : [])]) {
    const at = mountOf(pod, container, file);
    assert.ok(at?.volume.secret, `${dir}: ${file} lies in a Secret volume`);
    const items = at.volume.secret.items as Obj[] | undefined;
    assert.ok(!items || items.some((i) => i.path === at.rel), `${dir}: the Secret volume projects ${at.rel}`);
  }

  // State on a volume, not in the (read-only) container filesystem.
  assert.ok(config.checkpointDir && mountOf(pod, container, config.checkpointDir), `${dir}: the checkpoint dir ${config.checkpointDir} is on a volume`);
  if (container.securityContext?.readOnlyRootFilesystem) assert.ok(mountOf(pod, container, '/tmp/x'), `${dir}: read-only root: /tmp (temporary state) is a volume`);

  // Shutdown: SIGTERM after preStop, then FSPD_SHUTDOWN_GRACE, then checkpoints (and the trainer before, in the sidecar).
  const budget = Number(ann['fspd/checkpoint-budget-seconds']);
  assert.ok(budget > 0, `${dir}: annotation fspd/checkpoint-budget-seconds`);
  const trainer = Number(ann['fspd/trainer-stop-seconds'] ?? 0);
  const needed = trainer + preStopSeconds(container) + config.shutdownGraceMs / 1000 + budget;
  assert.ok(pod.spec.terminationGracePeriodSeconds >= needed, `${dir}: terminationGracePeriodSeconds ${pod.spec.terminationGracePeriodSeconds} < ${needed} (trainer + preStop + shutdown grace + checkpoints)`);

  // Memory and threads within the container's limits.
  const limits = container.resources?.limits ?? {};
  assert.ok(limits.memory && config.maxMemory < quantity(limits.memory), `${dir}: FSPD_MAX_MEMORY ${config.maxMemory} below the memory limit ${limits.memory}`);
  if (env.FSPD_THREADS) assert.ok(Number(env.FSPD_THREADS) <= quantity(limits.cpu), `${dir}: FSPD_THREADS ${env.FSPD_THREADS} <= cpu limit ${limits.cpu}`);

  // The image's user, non-root.
  const user = readDockerfile(path.join(dockerDir, 'Dockerfile')).filter((i) => i.keyword === 'USER').at(-1)?.rest;
  assert.equal(pod.spec.securityContext?.runAsNonRoot, true, `${dir}: runAsNonRoot`);
  assert.equal(String(pod.spec.securityContext?.runAsUser), user, `${dir}: runAsUser = the Dockerfile's USER`);
  assert.equal(container.image, `fspd:${pkg.version}`, `${dir}: the image tag docs/DEPLOY.md builds (package.json version)`);
}

describe('Kubernetes manifests against the Kubernetes 1.34 schemas (kubernetes-models, strict)', () => {
  for (const dir of DIRS) {
    it(`${dir}: every object is valid`, async () => {
      const objects = manifests[dir].filter((m) => m.doc.kind !== 'Kustomization');
      assert.ok(objects.length >= 2, `${dir}: manifests found`);
      for (const m of objects) assert.deepEqual(await validateObject(m.doc), [], `${path.relative(root, m.file)} ${m.doc.kind}`);
    });

    it(`${dir}: kustomization.yaml lists files that exist, and every manifest but the ServiceMonitor`, () => {
      const k = one(dir, 'Kustomization');
      assert.equal(k.apiVersion, 'kustomize.config.k8s.io/v1beta1', 'kustomize apiVersion');
      const files = fs.readdirSync(path.join(k8sDir, dir)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
      for (const r of k.resources as string[]) assert.ok(files.includes(r), `${dir}: resource ${r} exists`);
      const servicemonitors = manifests[dir].filter((m) => m.doc.kind === 'ServiceMonitor').map((m) => path.basename(m.file));
      assert.deepEqual([...k.resources].sort(), files.filter((f) => !servicemonitors.includes(f)).sort(), `${dir}: resources`);
    });
  }

  it('the validator rejects broken objects: wrong types, missing required fields, unknown fields', async () => {
    const deployment = structuredClone(one('sidecar', 'Deployment'));
    const fspd = deployment.spec.template.spec.initContainers[0];
    fspd.startupProbe.grpc.port = '8081';
    delete fspd.readinessProbe.grpc.port;
    fspd.livenessProbe.grcp = { port: 8081 };
    deployment.spec.template.spec.containers[0].restartPolicyy = 'Always';
    deployment.spec.replicas = 'one';
    const problems = await validateObject(deployment);
    const expected = [
      /initContainers\/0\/startupProbe\/grpc\/port must be integer/,
      /initContainers\/0\/readinessProbe\/grpc must have required property port/,
      /initContainers\/0\/livenessProbe\/grcp is not a field/,
      /containers\/0\/restartPolicyy is not a field/,
      /spec\/replicas must be integer/,
    ];
    for (const re of expected) assert.ok(problems.some((p) => re.test(p)), `${re} in ${JSON.stringify(problems)}`);
    assert.equal(problems.length, expected.length, `nothing else: ${JSON.stringify(problems)}`);
    await assert.rejects(validateObject({ apiVersion: 'apps/v1', kind: 'Deploymnt' }), /no schema for apps\/v1 Deploymnt/, 'unknown kind');
  });
});

describe('sidecar manifest and the server', () => {
  // Built inside the tests, so a manifest that does not parse fails them rather than the suite.
  const deployment = () => one('sidecar', 'Deployment');
  const fspd = once(() => fspdOf('sidecar', deployment(), 'initContainers'));
  const trainer = () => (deployment().spec.template.spec.containers as Obj[]).find((c) => c.name === 'trainer')!;

  it('fspd is a native sidecar (init container, restartPolicy Always) beside the trainer', () => {
    const f = fspd();
    assert.equal(f.container.restartPolicy, 'Always', 'restartPolicy: Always makes an init container a sidecar');
    assert.ok(trainer(), 'a trainer container');
  });

  it('its args and environment load as a config', () => {
    const f = fspd();
    assert.deepEqual(f.flags.address, ['unix:/var/run/fspd/fspd.sock'], '--address from the args');
    assert.deepEqual(f.config.addresses, ['unix:/var/run/fspd/fspd.sock'], 'the flag overrides the image FSPD_ADDRESS: only the socket');
    assert.throws(() => parseArgs([...f.container.args, '--no-such-flag']), /unknown option/, 'the flag set is strict');
  });

  it('the socket lies in the shared emptyDir, and the trainer dials the same file through its own mount', () => {
    const [f, t] = [fspd(), trainer()];
    const socket = f.config.addresses[0]!.slice('unix:'.length);
    const at = mountOf(f.pod, f.container, socket);
    assert.ok(at?.volume.emptyDir, `${socket} is in an emptyDir`);
    const trainerMount = (t.volumeMounts as Obj[]).find((m) => m.name === at.mount.name);
    assert.ok(trainerMount, `the trainer mounts '${at.mount.name}' too`);
    const trainerAddress = (t.env as Obj[]).find((e) => e.name === 'FSPD_ADDRESS')?.value;
    assert.equal(trainerAddress, `unix:${path.posix.join(trainerMount.mountPath, at.rel)}`, "the trainer's FSPD_ADDRESS is the socket seen through its mount");
    assert.ok(!(t.volumeMounts as Obj[]).some((m) => m.name === 'fspd-tls'), "the trainer does not see fspd's TLS key");
  });

  it("the shared-memory directory is a memory-backed volume the trainer mounts too, at its FSPD_SHARED_MEMORY_DIR", () => {
    const [f, t] = [fspd(), trainer()];
    const dir = f.config.sharedMemoryDir;
    assert.ok(dir, 'fspd has a shared-memory directory');
    const at = mountOf(f.pod, f.container, dir);
    assert.equal(at?.volume.emptyDir?.medium, 'Memory', `${dir} is a memory-backed emptyDir (tmpfs)`);
    const trainerMount = (t.volumeMounts as Obj[]).find((m) => m.name === at!.mount.name);
    assert.ok(trainerMount, `the trainer mounts '${at!.mount.name}' too`);
    const trainerDir = (t.env as Obj[]).find((e) => e.name === 'FSPD_SHARED_MEMORY_DIR')?.value;
    assert.equal(trainerDir, path.posix.join(trainerMount.mountPath, at!.rel), "the trainer's FSPD_SHARED_MEMORY_DIR is the same directory through its mount");
  });

  it('probes, metrics, TLS, state, shutdown budget, limits and user agree with the server', () => {
    const f = fspd();
    checkFspd('sidecar', f);
    const claim = mountOf(f.pod, f.container, f.config.checkpointDir!)!.volume.persistentVolumeClaim?.claimName;
    assert.ok(claim && one('sidecar', 'PersistentVolumeClaim', claim), 'sessions persist on a claim of this kustomization');
  });
});

describe('teacher manifests and the server', () => {
  const deployment = () => one('teacher', 'Deployment');
  const fspd = once(() => fspdOf('teacher', deployment(), 'containers'));
  const selects = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => deployment().spec.template.metadata.labels[k] === v);

  it('probes, metrics, TLS, state, shutdown budget, limits and user agree with the server', () => {
    checkFspd('teacher', fspd());
    assert.ok(selects(deployment().spec.selector.matchLabels), 'the Deployment selects its pods');
  });

  it('the teacher models come from a claim of this kustomization that replicas on several nodes can mount', () => {
    const claims = (deployment().spec.template.spec.volumes as Obj[]).map((v) => v.persistentVolumeClaim?.claimName).filter(Boolean);
    assert.ok(claims.length > 0, 'the pods mount a claim');
    for (const name of claims) {
      const claim = one('teacher', 'PersistentVolumeClaim', name);
      assert.ok(claim.spec.accessModes.some((m: string) => m === 'ReadWriteMany' || m === 'ReadOnlyMany'), `${name}: ${claim.spec.accessModes} (ReadWriteOnce cannot be attached on several nodes)`);
    }
  });

  it('a headless Service for client-side round-robin over the pods, on the gRPC port', () => {
    const f = fspd();
    const service = one('teacher', 'Service');
    assert.equal(service.spec.clusterIP, 'None', 'headless');
    assert.ok(selects(service.spec.selector), 'selects the pods');
    const grpcPort = portOf(f.config.addresses[0]!);
    const ports = f.container.ports as Obj[];
    const target = (name: string) => {
      const sp = (service.spec.ports as Obj[]).find((p) => p.name === name);
      assert.ok(sp, `Service port '${name}'`);
      return typeof sp.targetPort === 'string' ? ports.find((p) => p.name === sp.targetPort)?.containerPort : sp.targetPort;
    };
    assert.equal(f.config.addresses.length, 1, 'one main address');
    assert.equal(target('grpc'), grpcPort, 'Service grpc → the FSPD_ADDRESS port');
    assert.equal(target('metrics'), portOf(f.config.metricsAddress), 'Service metrics → the metrics port');
  });

  it('PodDisruptionBudget, autoscaler and ServiceMonitor point at these pods', () => {
    const f = fspd();
    assert.ok(selects(one('teacher', 'PodDisruptionBudget').spec.selector.matchLabels), 'the PDB selects the pods');
    const hpa = one('teacher', 'HorizontalPodAutoscaler');
    assert.equal(hpa.apiVersion, 'autoscaling/v2', 'autoscaling/v2');
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment().metadata.name }, 'scales the Deployment');
    assert.ok(hpa.spec.minReplicas >= 2, 'at least two replicas, so the PDB allows a drain');
    assert.ok(f.container.resources.requests.cpu, 'CPU utilisation needs a CPU request');
    const monitor = one('teacher', 'ServiceMonitor');
    const service = one('teacher', 'Service');
    assert.ok(Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => service.metadata.labels[k] === v), 'the ServiceMonitor selects the Service');
    assert.ok((service.spec.ports as Obj[]).some((p) => p.name === monitor.spec.endpoints[0].port), 'on a Service port it has');
  });

  it('the seed-models init container fills <checkpoint dir>/models, which fspd loads at start', () => {
    const f = fspd();
    const seed = (f.pod.spec.initContainers as Obj[]).find((c) => c.name === 'seed-models')!;
    assert.ok(seed, 'seed-models');
    const [cp, flag, from, to] = seed.command as string[];
    assert.deepEqual([cp, flag, path.posix.basename(from!)], ['cp', '-R', 'models'], 'copies a models folder');
    assert.equal(path.posix.join(to!, 'models'), path.posix.join(f.config.checkpointDir!, 'models'), 'into the checkpoint dir');
    const here = mountOf(f.pod, seed, to!);
    const there = mountOf(f.pod, f.container, f.config.checkpointDir!);
    assert.equal(here?.mount.name, there?.mount.name, 'the same volume as fspd');
  });
});

describe('DDP students: an indexed Job beside the teacher', () => {
  const job = () => one('students', 'Job');
  const trainer = () => (job().spec.template.spec.containers as Obj[]).find((c) => c.name === 'trainer')!;
  const env = (name: string) => (trainer().env as Obj[]).find((e) => e.name === name);
  /** torchrun's --flag=value arguments. */
  const torchrun = () => {
    const [cmd, ...args] = trainer().command as string[];
    assert.equal(cmd, 'torchrun', 'the trainer runs torchrun');
    return Object.fromEntries(args.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=') as [string, string]));
  };

  it('N ranks: an indexed Job with completions = parallelism = torchrun --nnodes, one process per pod', () => {
    const j = job();
    assert.equal(j.spec.completionMode, 'Indexed', 'indexed: pod i is <job>-i');
    assert.equal(j.spec.completions, j.spec.parallelism, 'every rank runs at once');
    assert.equal(Number(torchrun().nnodes), j.spec.completions, '--nnodes = completions');
    assert.equal(torchrun()['nproc-per-node'], '1');
    assert.equal(j.spec.template.spec.restartPolicy, 'Never');
    assert.ok(fs.existsSync(path.join(root, 'clients/python/examples', path.posix.basename((trainer().command as string[]).at(-1)!))), 'the script is the repository example');
  });

  it("c10d rendezvous on pod 0, through the headless Service that is the pods' subdomain", () => {
    const j = job();
    const service = one('students', 'Service');
    assert.equal(service.spec.clusterIP, 'None', 'headless: one DNS name per pod');
    assert.equal(j.spec.template.spec.subdomain, service.metadata.name, 'pods are <hostname>.<subdomain>');
    assert.ok(Object.entries(service.spec.selector).every(([k, v]) => j.spec.template.metadata.labels[k] === v), 'the Service selects the pods');
    assert.equal(service.spec.publishNotReadyAddresses, true, 'names resolve before the pods are ready');
    assert.equal(torchrun()['rdzv-backend'], 'c10d');
    const [host, port] = torchrun()['rdzv-endpoint']!.split(':');
    assert.equal(host, `${j.metadata.name}-0.${service.metadata.name}`, 'the endpoint is pod 0');
    const sp = (service.spec.ports as Obj[]).find((p) => p.port === Number(port));
    assert.ok(sp, `Service port ${port}`);
    assert.equal((trainer().ports as Obj[]).find((p) => p.name === sp.targetPort)?.containerPort, Number(port), 'the container port behind it');
  });

  it("the ranks dial the teacher's headless Service over TLS with its token and CA", () => {
    const teacherService = one('teacher', 'Service');
    const grpcPort = (teacherService.spec.ports as Obj[]).find((p) => p.name === 'grpc')!.port;
    const names = (trainer().env as Obj[]).map((e) => e.name);
    assert.equal(env('POD_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath, 'metadata.namespace');
    assert.ok(names.indexOf('POD_NAMESPACE') < names.indexOf('FSPD_ADDRESS'), '$(POD_NAMESPACE) is defined before it is used');
    assert.equal(env('FSPD_ADDRESS')?.value, `dns:///${teacherService.metadata.name}.$(POD_NAMESPACE).svc.cluster.local:${grpcPort}`, 'round-robin over the teacher replicas');
    assert.deepEqual(env('FSPD_TOKEN')?.valueFrom?.secretKeyRef, { name: 'fspd-secrets', key: 'token' });
    assert.equal(env('FSPD_TLS')?.value, '1');
    const ca = env('GRPC_DEFAULT_SSL_ROOTS_FILE_PATH')?.value as string;
    const at = mountOf(job().spec.template, trainer(), ca);
    assert.equal(at?.volume.secret?.secretName, 'fspd-secrets', 'the CA from the Secret');
    assert.deepEqual(at?.volume.secret?.items, [{ key: 'ca.crt', path: at?.rel }], 'only ca.crt: the ranks do not see the TLS key');
    for (const v of ['FSPD_ADDRESS', 'FSPD_TOKEN', 'FSPD_TEACHER_ID', 'FSPD_TLS']) {
      assert.match(fs.readFileSync(path.join(root, 'clients/python/examples/ddp_student.py'), 'utf8'), new RegExp(`environ\\.get\\("${v}"`), `the example reads ${v}`);
    }
  });
});

describe('Dockerfiles', () => {
  const ignore = fs
    .readFileSync(path.join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    // Docker's rules, enough for ours: paths from the context root, * within a name, **/ any directories.
    .map((p) => {
      const glob = p.trim().replace(/\/$/, '').replace(/[.+^${}()|[\]\\]/g, '\\$&');
      return new RegExp(`^${glob.replace(/\*\*\//g, '\0').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]').replace(/\0/g, '(.*/)?')}$`);
    });
  const ignored = (p: string) => {
    const parts = p.replace(/\/$/, '').split('/');
    return parts.some((_, i) => ignore.some((re) => re.test(parts.slice(0, i + 1).join('/'))));
  };
  const setupFlags = [...fs.readFileSync(path.join(root, 'scripts/setup-tensorflow.mjs'), 'utf8').matchAll(/^\s+'?([a-z][\w-]*)'?: \{ type:/gm)].map((m) => m[1]);

  it('.dockerignore keeps local builds out of the context', () => {
    for (const p of ['node_modules', 'src/x/node_modules', 'build', 'native/build-cuda', '.git']) assert.ok(ignored(p), `${p} ignored`);
    assert.ok(!ignored('src/server/server.ts'), 'sources stay');
  });

  for (const name of ['Dockerfile', 'Dockerfile.cuda']) {
    const file = path.join(dockerDir, name);
    const steps = readDockerfile(file);
    const last = Math.max(...steps.map((s) => s.stage));

    it(`${name}: COPY sources exist in the context (or are built in the stage they come from)`, () => {
      const copies = steps.filter((s) => s.keyword === 'COPY').map((s) => ({ ...copyArgs(s), stage: s.stage }));
      assert.ok(copies.length > 5, 'COPY instructions found');
      const runs = (stage: string) => steps.filter((s) => s.stageName === stage && s.keyword === 'RUN').map((s) => s.rest).join('\n');
      for (const c of copies) {
        for (const src of c.sources) {
          if (c.from === undefined) {
            assert.ok(fs.existsSync(path.join(root, src)), `${name}: COPY ${src}: exists in the repository`);
            assert.ok(!ignored(src), `${name}: COPY ${src}: not excluded by .dockerignore`);
          } else if (c.from === 'build') {
            const rel = path.posix.relative('/app', src).replace(/\/$/, '');
            const made = { node_modules: /npm ci/, 'build/Release/fspd.node': /npm run build:native/, dist: /npm run build$/m }[rel];
            assert.ok(made, `${name}: COPY --from=build ${src}: a known build output`);
            assert.match(runs('build'), made, `${name}: the build stage makes ${rel}`);
          } else {
            assert.equal(c.from, 'node', `${name}: COPY --from=${c.from}: only the Node image`);
          }
        }
      }
      const runtime = copies.filter((c) => c.stage === last).flatMap((c) => c.sources.map((s) => s.replace(/^\/app\//, '').replace(/\/$/, '')));
      for (const needed of ['node_modules', 'build/Release/fspd.node', 'dist', 'package.json', 'bin', 'proto']) assert.ok(runtime.includes(needed), `${name}: the runtime stage has ${needed}`);
      // bin/fspd.js runs src/ through tsx (a devDependency, pruned) whenever src/ is there: the image must not have it.
      assert.ok(!runtime.includes('src'), `${name}: the runtime stage runs dist, not src`);
    });

    it(`${name}: npm scripts, their flags and the fspd command lines exist`, () => {
      for (const s of steps.filter((x) => x.keyword === 'RUN')) {
        for (const m of s.rest.matchAll(/npm run ([\w:-]+)(?: -- ([^&;]*))?/g)) {
          assert.ok(pkg.scripts[m[1]!], `${name}: npm script ${m[1]} exists`);
          for (const flag of (m[2] ?? '').trim().split(/\s+/).filter((w) => w.startsWith('--'))) {
            assert.equal(m[1], 'setup:tensorflow', `${name}: flags only checked for setup:tensorflow`);
            assert.ok(setupFlags.includes(flag.slice(2)), `${name}: setup:tensorflow ${flag} exists (${setupFlags.join(', ')})`);
          }
        }
      }
      const final = steps.filter((s) => s.stage === last);
      const entry = execForm(final.find((s) => s.keyword === 'ENTRYPOINT')!);
      assert.deepEqual(entry, ['node', 'bin/fspd.js'], 'entrypoint');
      assert.ok(fs.existsSync(path.join(root, entry[1]!)), 'bin/fspd.js exists');
      const cmd = execForm(final.find((s) => s.keyword === 'CMD')!);
      assert.equal(parseArgs(cmd).command, 'serve', 'CMD serve');
      const health = execForm(final.find((s) => s.keyword === 'HEALTHCHECK')!);
      assert.deepEqual(health.slice(0, 2), entry, 'HEALTHCHECK runs fspd');
      const { flags } = parseArgs(health.slice(2));
      assert.ok(Number(flags.timeout) > 0, 'health --timeout');
    });

    it(`${name}: the image environment loads, its ports are exposed, the user is not root`, () => {
      const env = imageEnv(file);
      const config = loadConfig({}, env);
      assert.ok(config.healthAddress, `${name}: FSPD_HEALTH_ADDRESS set, so HEALTHCHECK works with TLS on the main port`);
      const exposed = steps.filter((s) => s.stage === last && s.keyword === 'EXPOSE').flatMap((s) => s.rest.split(/\s+/).map(Number));
      for (const a of [...config.addresses, config.healthAddress, config.metricsAddress]) assert.ok(exposed.includes(portOf(a)), `${name}: EXPOSE ${portOf(a)} (${a})`);
      const user = steps.filter((s) => s.stage === last && s.keyword === 'USER').at(-1)?.rest;
      assert.match(user ?? '', /^[1-9]\d*$/, `${name}: a numeric non-root USER (runAsNonRoot can check it)`);
    });
  }

  it('Dockerfile.cuda builds the CUDA kernels (required) and the GPU TensorFlow backend', () => {
    const runs = readDockerfile(path.join(dockerDir, 'Dockerfile.cuda')).filter((s) => s.keyword === 'RUN').map((s) => s.rest);
    assert.ok(runs.some((r) => /FSPD_CUDA=ON\b.*npm run build:native/.test(r)), 'FSPD_CUDA=ON');
    assert.ok(runs.some((r) => /npm run setup:tensorflow -- --gpu/.test(r)), 'setup:tensorflow --gpu');
    const froms = readDockerfile(path.join(dockerDir, 'Dockerfile.cuda')).filter((s) => s.keyword === 'FROM').map((s) => s.rest);
    assert.match(froms.find((f) => /AS build/i.test(f))!, /nvidia\/cuda:.*-devel-/, 'builds on a CUDA devel image');
    assert.match(froms.at(-1)!, /nvidia\/cuda:.*-cudnn-runtime-/, 'runs on a CUDA + cuDNN runtime image');
  });
});
