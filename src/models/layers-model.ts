// Any tfjs LayersModel in and out: from a directory (model.json + weight files) or from bytes (the
// model.json object + one weight buffer), and back. Pure tfjs has no file:// handler, so the directory
// handlers here read and write with node:fs. Taps and pairs are saved in model.json's
// userDefinedMetadata.fspd, so an exported tapped model loads back with its taps.
import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../io/atomic-write.js';
import { logitsModel, tapModel, type TapPair, type TappedModel } from './taps.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

export interface TapOptions {
  /** Layer names to tap. Default: the taps saved with the model (userDefinedMetadata.fspd). */
  taps?: readonly string[];
  /** FSP pairs as indices into taps. Default: the saved pairs (required when taps are given). */
  pairs?: readonly TapPair[];
}

/** A model as bytes: the parsed model.json (its weightsManifest describes `weights`) and the weights. */
export interface ModelBytes {
  modelJson: tf.io.ModelJSON;
  weights: Uint8Array;
}

interface FspMetadata {
  fspd?: { taps: string[]; pairs: TapPair[] };
}

/** Loads `dir/model.json` and the weight files it names. Weight paths must stay inside `dir`. */
export async function loadModelFromDir(dir: string, options: TapOptions = {}): Promise<TappedModel> {
  const file = path.join(dir, MODEL_JSON);
  const modelJson = await readModelJson(file);
  const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
    const buffers: Uint8Array[] = [];
    for (const group of manifest) {
      for (const p of group.paths) {
        const weightFile = path.resolve(dir, p);
        const rel = path.relative(path.resolve(dir), weightFile);
        if (path.isAbsolute(p) || rel === '..' || rel.startsWith(`..${path.sep}`)) {
          throw new Error(`${file}: weight path '${p}' leaves the model directory`);
        }
        buffers.push(await fs.readFile(weightFile).catch((err: NodeJS.ErrnoException) => {
          throw new Error(`${file}: cannot read weight file '${p}': ${err.code ?? err.message}`);
        }));
      }
    }
    const weights = concat(buffers);
    const specs = tf.io.getWeightSpecs(manifest);
    checkWeightBytes(specs, weights.byteLength, file);
    return [specs, toArrayBuffer(weights)];
  });
  return loadArtifacts(artifacts, options, file);
}

/** Loads a model from its model.json object and its weights (the manifest's files concatenated in order). */
export async function loadModelFromBytes(bytes: ModelBytes, options: TapOptions = {}): Promise<TappedModel> {
  const { modelJson, weights } = bytes;
  if (!modelJson?.modelTopology) throw new Error('modelJson: not a tfjs layers model.json (no modelTopology)');
  const specs = tf.io.getWeightSpecs(modelJson.weightsManifest ?? []);
  checkWeightBytes(specs, weights.byteLength, 'weights');
  const artifacts = tf.io.getModelArtifactsForJSONSync(modelJson, specs, toArrayBuffer(weights));
  return loadArtifacts(artifacts, options, 'modelJson');
}

/**
 * The model of `artifacts`, tapped. Frees everything on every error: tf.loadLayersModel creates the
 * variables while it reads the topology and leaks them (and the decoded weights) when the weights then do
 * not fit, so the model is built without weights here and they are loaded into it under our own guard.
 */
async function loadArtifacts(artifacts: tf.io.ModelArtifacts, options: TapOptions, source: string): Promise<TappedModel> {
  const { weightSpecs, weightData, ...topology } = artifacts;
  const model = await tf.loadLayersModel(tf.io.fromMemory(topology));
  try {
    if (weightSpecs && weightData) {
      const weights = tf.io.decodeWeights(weightData, weightSpecs);
      try {
        model.loadWeights(weights, true);
      } finally {
        tf.dispose(Object.values(weights));
      }
    }
    return tapLoaded(model, options, source);
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** Writes `dir/model.json` and `dir/weights.bin` (the logits-only model, with its taps as metadata). */
export async function saveModelToDir(tapped: TappedModel, dir: string): Promise<void> {
  const { modelJson, weights } = await saveModelToBytes(tapped);
  await fs.mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, WEIGHTS_BIN), weights);
  await writeFileAtomic(path.join(dir, MODEL_JSON), JSON.stringify(modelJson));
}

/** The model as bytes: model.json (one weight file, weights.bin) and that file's contents. */
export async function saveModelToBytes(tapped: TappedModel): Promise<ModelBytes> {
  const model = logitsModel(tapped);
  model.setUserDefinedMetadata({ fspd: { taps: tapped.taps, pairs: tapped.pairs } } satisfies FspMetadata);
  let out: ModelBytes | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const { weightSpecs = [], weightData, ...rest } = artifacts;
      out = {
        modelJson: { ...rest, weightsManifest: [{ paths: [WEIGHTS_BIN], weights: weightSpecs }] } as tf.io.ModelJSON,
        weights: new Uint8Array(weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(weightData)),
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return out!;
}

function tapLoaded(model: tf.LayersModel, options: TapOptions, source: string): TappedModel {
  const saved = (model.getUserDefinedMetadata() as FspMetadata | undefined)?.fspd;
  const taps = options.taps ?? saved?.taps;
  const pairs = options.pairs ?? (options.taps ? undefined : saved?.pairs);
  if (!taps || !pairs) {
    const names = model.layers.map((l) => l.name).join(', ');
    throw new Error(`${source}: no taps/pairs given and none saved with the model; choose taps from its layers: ${names}`);
  }
  return tapModel(model, taps, pairs);
}

async function readModelJson(file: string): Promise<tf.io.ModelJSON> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(text) as tf.io.ModelJSON;
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (!json?.modelTopology) throw new Error(`${file}: not a tfjs layers model.json (no modelTopology)`);
  return json;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, complex64: 8 };

/** tfjs reports short weight data obscurely (or reads garbage); say which file and how many bytes. */
function checkWeightBytes(specs: tf.io.WeightsManifestEntry[], actual: number, source: string): void {
  let expected = 0;
  for (const s of specs) {
    const bytes = DTYPE_BYTES[s.quantization?.dtype ?? s.dtype];
    if (bytes === undefined) throw new Error(`${source}: weight '${s.name}' has unsupported dtype ${s.dtype}`);
    expected += s.shape.reduce((a, b) => a * b, 1) * bytes;
  }
  if (expected !== actual) throw new Error(`${source}: the weights manifest needs ${expected} bytes, got ${actual}`);
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** An ArrayBuffer holding exactly these bytes (Buffers from fs share a larger pool). */
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  return bytes.slice().buffer;
}
