// UploadModel rejects bad models without leaving tensors behind: 100 rejected uploads of ten kinds (unknown,
// repeated and non-4-D taps, bad pairs, weights that do not fit their variables, an unknown layer class,
// a non-fixed input, outputs that are not logits, a short weights file) leave tf.memory().numTensors where
// it was. tfjs creates a model's variables while it deserialises the topology, before the taps are checked,
// so every one of these paths has tensors to free.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as tf from '@tensorflow/tfjs';
import { FspdClient, type ModelArtifacts } from '../src/client/index.js';
import type { FspdServer } from '../src/server/server.js';
import { startTestServer } from './helpers/server.js';

let server: FspdServer;
let client: FspdClient;
let good: ModelArtifacts;

before(async () => {
  server = await startTestServer();
  client = new FspdClient({ address: server.addresses[0]!, deadlineMs: 60_000 });
  await client.createModel({ modelId: 'source', resnet: { depth: 8, inputShape: [8, 8, 1], seed: 1 } });
  good = await client.exportModel('source');
  await client.deleteModel('source');
});

after(async () => {
  client.close();
  await server.shutdown();
});

type Json = { modelTopology: { config: { layers: { name: string; class_name: string; config: Record<string, unknown>; inbound_nodes: unknown[] }[]; output_layers: unknown[] } }; weightsManifest: { weights: { name: string; shape: number[] }[] }[] };

/** A copy of the good model.json changed by `edit`. */
function edited(edit: (json: Json) => void): object {
  const json = structuredClone(good.modelJson) as Json;
  edit(json);
  return json;
}

const kinds: { name: string; artifacts: () => ModelArtifacts; details: RegExp }[] = [
  { name: 'unknown tap', artifacts: () => ({ ...good, taps: ['no-such-layer'], pairs: [{ first: 0, second: 0 }] }), details: /^header\.taps\[0\]: no layer named/ },
  { name: 'repeated tap', artifacts: () => ({ ...good, taps: ['stem/relu', 'stem/relu'], pairs: [{ first: 0, second: 1 }] }), details: /^header\.taps\[1\]: 'stem\/relu' is already taps\[0\]/ },
  { name: 'tap that is not a 4-D map', artifacts: () => ({ ...good, taps: ['stem/relu', 'pool'], pairs: [{ first: 0, second: 1 }] }), details: /^header\.taps\[1\]: layer 'pool' outputs/ },
  { name: 'pair past the taps', artifacts: () => ({ ...good, taps: ['stem/relu', 'section1/block1/relu'], pairs: [{ first: 0, second: 2 }] }), details: /^header\.pairs\[0\]: index 2 is not a tap index/ },
  {
    name: 'weight of the wrong shape',
    artifacts: () => ({ ...good, modelJson: edited((j) => void (j.weightsManifest[0]!.weights[0]!.shape = [3, 3, 16, 1])) }),
    details: /^header\.model_json: /,
  },
  {
    name: 'weight of an unknown name',
    artifacts: () => ({ ...good, modelJson: edited((j) => void (j.weightsManifest[0]!.weights.at(-1)!.name = 'no/such/weight')) }),
    details: /^header\.model_json: /,
  },
  {
    name: 'unknown layer class',
    artifacts: () => ({ ...good, modelJson: edited((j) => void (j.modelTopology.config.layers.at(-1)!.class_name = 'NoSuchLayer')) }),
    details: /^header\.model_json: /,
  },
  {
    name: 'input without a fixed size',
    artifacts: () => ({ ...good, modelJson: edited((j) => void (j.modelTopology.config.layers[0]!.config.batch_input_shape = [null, null, null, 1])) }),
    details: /^header\.model_json: /,
  },
  {
    name: 'first output not logits',
    artifacts: () => ({ ...good, modelJson: edited((j) => void j.modelTopology.config.output_layers.unshift(['stem/relu', 0, 0])) }),
    details: /^header\.model_json: .*logits/,
  },
  { name: 'weights shorter than the manifest', artifacts: () => ({ ...good, weights: good.weights.subarray(4) }), details: /^header\.weights_size: / },
];

describe('UploadModel error paths', () => {
  for (const kind of kinds) {
    it(`${kind.name}: INVALID_ARGUMENT, no tensors left`, async () => {
      const before = tf.memory().numTensors;
      await assert.rejects(client.uploadModel(kind.artifacts()), (err: grpc.ServiceError) => {
        assert.equal(err.code, grpc.status.INVALID_ARGUMENT, `${grpc.status[err.code]}: ${err.details}`);
        assert.match(err.details, kind.details);
        return true;
      });
      assert.equal(tf.memory().numTensors, before, 'tensor count as before');
    });
  }

  it('the tensor count stays flat over 100 rejected uploads of every kind', async () => {
    const before = tf.memory();
    for (let i = 0; i < 100; i++) await assert.rejects(client.uploadModel(kinds[i % kinds.length]!.artifacts()));
    assert.equal(tf.memory().numTensors, before.numTensors, 'tensors');
    assert.equal(tf.memory().numBytes, before.numBytes, 'bytes');
    assert.equal((await client.listModels()).length, 0, 'nothing registered');
    // And the good model still uploads.
    await client.uploadModel(good, 'after');
    await client.deleteModel('after');
    assert.equal(tf.memory().numTensors, before.numTensors, 'and its delete frees it');
  });
});
