import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';

interface ModelJson {
  readonly modelTopology?: unknown;
  readonly format?: string;
  readonly generatedBy?: string;
  readonly convertedBy?: string | null;
  readonly signature?: unknown;
  readonly userDefinedMetadata?: tf.io.ModelArtifacts['userDefinedMetadata'];
  readonly weightsManifest: readonly {
    readonly paths: readonly string[];
    readonly weights: tf.io.WeightsManifestEntry[];
  }[];
}

/** Reads a TF.js graph/layers model (`model.json` + weight shards) from the local disk. */
export function fileSystemHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    load: async (): Promise<tf.io.ModelArtifacts> => {
      const json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as ModelJson;
      const dir = dirname(modelJsonPath);
      const specs = json.weightsManifest.flatMap((group) => group.weights);
      const paths = json.weightsManifest.flatMap((group) => group.paths);
      const shards = await Promise.all(paths.map((p) => readFile(join(dir, p))));
      const joined = Buffer.concat(shards);
      const weightData = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength);
      return {
        modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? null,
        signature: json.signature as tf.io.ModelArtifacts['signature'],
        userDefinedMetadata: json.userDefinedMetadata,
        weightSpecs: specs,
        weightData,
      };
    },
  };
}

let routerRegistered = false;

/**
 * Registers a tf.io load router for `file://` URLs, so libraries that load models by URL
 * (Human) read them from disk: Node's fetch does not read `file://`, and tfjs-node (which
 * ships such a router) cannot be installed here. Idempotent.
 */
export function registerFileRouter(): void {
  if (routerRegistered) return;
  routerRegistered = true;
  // tf.io routers return null for URLs they don't handle, though the type says otherwise.
  const router = (url: string | string[]): tf.io.IOHandler | null => {
    const first = Array.isArray(url) ? url[0] : url;
    if (typeof first !== 'string' || !first.startsWith('file://')) return null;
    return fileSystemHandler(fileURLToPath(first));
  };
  tf.io.registerLoadRouter(router as Parameters<typeof tf.io.registerLoadRouter>[0]);
}
