import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { partitionCountError } from '../../shared/partition.js';
import { STREAM_NAMES, type StreamName } from '../transport.js';
import type { JetStreamNames } from './jetstream-names.js';

/** Stream settings; every field has a default. */
export interface StreamSettings {
  /** Dedupe window of `msgId`. Default 2 minutes. */
  readonly duplicateWindowMs: number;
  /** Messages of `transactions` and `decisions` older than this are removed. Default 7 days; `dlq` keeps everything. */
  readonly maxAgeMs: number;
}

export const DEFAULT_STREAM_SETTINGS = {
  duplicateWindowMs: 120_000,
  maxAgeMs: 7 * 24 * 3_600_000,
} as const satisfies StreamSettings;

/**
 * What a stream's description says: its partition count, which every process of a deployment
 * must share (the API publishes by it, workers consume by it).
 */
function descriptionOf(stream: StreamName, partitions: number): string {
  return `Centinela ${stream} over ${partitions} partitions`;
}

/** The partition count a stream's description gives, if it gives one. */
function partitionsOf(description: string | undefined): number | undefined {
  const found = /over (\d+) partitions/.exec(description ?? '');
  return found ? Number(found[1]) : undefined;
}

function configOf(
  names: JetStreamNames,
  stream: StreamName,
  settings: StreamSettings,
  partitions: number,
): Partial<StreamConfig> & { name: string } {
  return {
    name: names.stream(stream),
    description: descriptionOf(stream, partitions),
    subjects: [names.wildcard(stream)],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(settings.duplicateWindowMs),
    max_age: stream === 'dlq' ? 0 : nanos(settings.maxAgeMs),
    num_replicas: 1,
  };
}

/**
 * Creates the three streams, or updates them to `settings` when they exist. Refuses
 * (CONFIG_INVALID) a partition count other than the one the streams were created with:
 * a worker with another count consumed only some of the API's partitions, or loaded the wrong
 * accounts' velocity state.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  names: JetStreamNames,
  settings: StreamSettings,
  partitions: number,
): Promise<void> {
  for (const stream of STREAM_NAMES) {
    const config = configOf(names, stream, settings, partitions);
    const existing = await jsm.streams.info(config.name).catch(() => undefined);
    if (!existing) {
      await jsm.streams.add(config);
      continue;
    }
    const created = partitionsOf(existing.config.description);
    if (created !== undefined && created !== partitions)
      throw partitionCountError(
        partitions,
        `the streams of prefix '${names.prefix}' were created for`,
        created,
      );
    if (
      existing.config.duplicate_window !== config.duplicate_window ||
      existing.config.max_age !== config.max_age
    )
      await jsm.streams.update(config.name, { ...existing.config, ...config });
    else if (created === undefined)
      // created before the count was recorded: record it, changing nothing else (replicas…)
      await jsm.streams.update(config.name, { ...existing.config, description: config.description });
  }
}

/** Deletes the three streams (tests). */
export async function deleteStreams(jsm: JetStreamManager, names: JetStreamNames): Promise<void> {
  for (const stream of STREAM_NAMES) await jsm.streams.delete(names.stream(stream)).catch(() => false);
}
