import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
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

function configOf(
  names: JetStreamNames,
  stream: StreamName,
  settings: StreamSettings,
): Partial<StreamConfig> & { name: string } {
  return {
    name: names.stream(stream),
    subjects: [names.wildcard(stream)],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(settings.duplicateWindowMs),
    max_age: stream === 'dlq' ? 0 : nanos(settings.maxAgeMs),
    num_replicas: 1,
  };
}

/** Creates the three streams, or updates them to `settings` when they exist. */
export async function ensureStreams(
  jsm: JetStreamManager,
  names: JetStreamNames,
  settings: StreamSettings,
): Promise<void> {
  for (const stream of STREAM_NAMES) {
    const config = configOf(names, stream, settings);
    const existing = await jsm.streams.info(config.name).catch(() => undefined);
    if (!existing) await jsm.streams.add(config);
    else if (
      existing.config.duplicate_window !== config.duplicate_window ||
      existing.config.max_age !== config.max_age
    )
      await jsm.streams.update(config.name, { ...existing.config, ...config });
  }
}

/** Deletes the three streams (tests). */
export async function deleteStreams(jsm: JetStreamManager, names: JetStreamNames): Promise<void> {
  for (const stream of STREAM_NAMES) await jsm.streams.delete(names.stream(stream)).catch(() => false);
}
