// Offline Kubernetes manifest checks for the deploy tests: YAML parsed as Kubernetes parses it (YAML 1.1),
// each object validated against the Kubernetes 1.34 OpenAPI schemas that the kubernetes-models package
// ships (compiled ajv validators; @kubernetes-models/prometheus-operator for ServiceMonitor), plus a
// strict pass that reports fields the schema does not know, as `kubectl apply` (strict field validation)
// would: the validators read every property their schema declares, so a field they never read is unknown.
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface Manifest {
  file: string;
  doc: Record<string, any>;
}

/** Every document of every .yaml file in `dir`, parsed with YAML 1.1 (octal 0440, yes/no booleans, as Kubernetes reads them). */
export function loadManifests(dir: string): Manifest[] {
  const out: Manifest[] = [];
  for (const name of fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const file = path.join(dir, name);
    for (const d of parseAllDocuments(fs.readFileSync(file, 'utf8'), { version: '1.1' })) {
      if (d.errors.length) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
      const doc = d.toJS() as Record<string, any> | null;
      if (doc !== null) out.push({ file, doc });
    }
  }
  return out;
}

/** The kubernetes-models module of an apiVersion + kind, e.g. apps/v1 Deployment → kubernetes-models/apps/v1/Deployment. */
function modelModule(apiVersion: string, kind: string): string {
  if (apiVersion.startsWith('monitoring.coreos.com/')) return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  return `kubernetes-models/${apiVersion}/${kind}`;
}

type Validate = (this: unknown) => void;

async function validatorOf(apiVersion: string, kind: string): Promise<Validate> {
  const spec = modelModule(apiVersion, kind);
  let mod: Record<string, { prototype: { validate: Validate } }>;
  try {
    mod = (await import(spec)) as typeof mod;
  } catch (err) {
    throw new Error(`no schema for ${apiVersion} ${kind} (${spec}): ${(err as Error).message.split('\n')[0]}`);
  }
  const model = mod[kind];
  if (!model) throw new Error(`${spec} has no ${kind}`);
  return model.prototype.validate;
}

/**
 * Problems of one object: schema violations (types, required fields, enums, formats) and unknown fields.
 * Empty when the object is valid.
 */
export async function validateObject(doc: Record<string, any>): Promise<string[]> {
  if (typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string') return ['apiVersion and kind must be strings'];
  const validate = await validatorOf(doc.apiVersion, doc.kind);
  const reads = new Map<string, Set<string>>();
  const maps = new Set<string>();
  const watch = (value: unknown, at: string): unknown => {
    if (value === null || typeof value !== 'object') return value;
    return new Proxy(value as object, {
      get(target, key, receiver) {
        const v = Reflect.get(target, key, receiver);
        if (typeof key !== 'string') return v;
        (reads.get(at) ?? reads.set(at, new Set()).get(at)!).add(key);
        return Object.hasOwn(target, key) ? watch(v, `${at}/${key}`) : v;
      },
      // A validator that lists the keys treats the object as a map (labels, ConfigMap data, limits).
      ownKeys(target) {
        maps.add(at);
        return Reflect.ownKeys(target);
      },
    });
  };
  const problems: string[] = [];
  try {
    validate.call(watch(doc, ''));
  } catch (err) {
    problems.push(...(err as Error).message.split(', '));
  }
  const walk = (value: unknown, at: string) => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) return value.forEach((v, i) => walk(v, `${at}/${i}`));
    const known = reads.get(at);
    for (const [key, v] of Object.entries(value)) {
      // No reads at all: a free-form object (the schema says only "object").
      if (!maps.has(at) && known && !known.has(key)) problems.push(`data${at}/${key} is not a field of the schema`);
      else walk(v, `${at}/${key}`);
    }
  };
  walk(doc, '');
  return problems;
}

/** A Kubernetes quantity in base units: '5Gi' → 5·2^30, '500m' → 0.5, '2' → 2. */
export function quantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q);
  if (!m) throw new RangeError(`not a quantity: ${q}`);
  const unit = { '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 }[m[2] ?? '']!;
  return Number(m[1]) * unit;
}
