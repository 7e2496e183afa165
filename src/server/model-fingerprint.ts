// A model's content fingerprint (TeacherFspResponse.model_fingerprint): a SHA-256 digest of what decides its
// FSP matrices — the architecture, taps and pairs (ExportModel's model.json, without the tfjs version
// stamps) and the weights — so the same model has the same fingerprint on every server and across restarts,
// and a client may keep matrices across calls (and replicas) until it changes. Computed on first use after
// each change of the model's revision (a SHA-256 pass over the weights: ~0.3 ms for a ResNet-8's 300 KiB)
// and kept per entry until the next.
import crypto from 'node:crypto';
import { snapshotModel, type ModelEntry } from './registry.js';

const known = new WeakMap<ModelEntry, { revision: number; fingerprint: string }>();

export function modelFingerprint(entry: ModelEntry): string {
  const memo = known.get(entry);
  if (memo?.revision === entry.revision) return memo.fingerprint;
  const { modelJson, weights } = snapshotModel(entry.tapped);
  const { class_name, config } = modelJson.modelTopology as { class_name: unknown; config: unknown };
  const shape = JSON.stringify([class_name, config, modelJson.userDefinedMetadata, modelJson.weightsManifest]);
  const fingerprint = `sha256:${crypto.createHash('sha256').update(shape).update(weights).digest('hex')}`;
  known.set(entry, { revision: entry.revision, fingerprint });
  return fingerprint;
}
