import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { headers, nanos } from '@nats-io/transport-node';

const OPERATION = 'KV-Operation';

/** Whether `error` is a failed compare-and-set (the key's last revision was not the expected one). */
export function isWrongRevision(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence;
}

/**
 * A NATS KV bucket (stream `KV_<name>`, subjects `$KV.<name>.<key>`, the layout `nats kv`
 * reads) with only what partition leases need: put, create, compare-and-set update and
 * delete, get, and listing keys. Entries not written again within the bucket TTL expire.
 * Written on the JetStream client directly, so no extra package is needed.
 */
export class LeaseBucket {
  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly name: string,
  ) {}

  /** Creates the bucket with `ttlMs` (or opens it; the TTL is the one it was created with). */
  static async open(
    js: JetStreamClient,
    jsm: JetStreamManager,
    name: string,
    ttlMs: number,
  ): Promise<LeaseBucket> {
    const bucket = new LeaseBucket(js, jsm, name);
    const exists = await jsm.streams.info(bucket.stream).catch(() => undefined);
    if (!exists) {
      await jsm.streams.add({
        name: bucket.stream,
        subjects: [`$KV.${name}.>`],
        storage: StorageType.File,
        discard: DiscardPolicy.New,
        max_msgs_per_subject: 1,
        max_age: nanos(ttlMs),
        duplicate_window: nanos(Math.min(ttlMs, 120_000)),
        allow_rollup_hdrs: true,
        deny_delete: true,
        allow_direct: true,
        num_replicas: 1,
      });
    }
    return bucket;
  }

  private get stream(): string {
    return `KV_${this.name}`;
  }

  private subject(key: string): string {
    return `$KV.${this.name}.${key}`;
  }

  /** Writes `value`; returns the new revision. */
  async put(key: string, value: string): Promise<number> {
    return (await this.js.publish(this.subject(key), value)).seq;
  }

  /** Writes `value` only if `key` has no live entry; throws {@link isWrongRevision} otherwise. */
  async create(key: string, value: string): Promise<number> {
    try {
      return await this.update(key, value, 0);
    } catch (error) {
      const entry = isWrongRevision(error) ? await this.get(key) : undefined;
      if (entry && entry.deleted) return this.update(key, value, entry.revision);
      throw error;
    }
  }

  /** Writes `value` only if the key's revision is still `revision` (0: no entry at all). */
  async update(key: string, value: string, revision: number): Promise<number> {
    const ack = await this.js.publish(this.subject(key), value, {
      expect: { lastSubjectSequence: revision },
    });
    return ack.seq;
  }

  /** Marks `key` deleted, only if its revision is still `revision`. */
  async delete(key: string, revision: number): Promise<void> {
    const h = headers();
    h.set(OPERATION, 'DEL');
    await this.js.publish(this.subject(key), '', { headers: h, expect: { lastSubjectSequence: revision } });
  }

  /** Removes `key` and its history. */
  async purge(key: string): Promise<void> {
    await this.jsm.streams.purge(this.stream, { filter: this.subject(key) });
  }

  /** The live entry of `key` (a deleted one has `deleted: true`), if any. */
  async get(key: string): Promise<{ value: string; revision: number; deleted: boolean } | undefined> {
    const msg = await this.jsm.streams
      .getMessage(this.stream, { last_by_subj: this.subject(key) })
      .catch((error: unknown) => {
        if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.NoMessageFound)
          return null;
        throw error;
      });
    if (!msg) return undefined;
    const operation = msg.header?.get(OPERATION) ?? '';
    return { value: msg.string(), revision: msg.seq, deleted: operation === 'DEL' || operation === 'PURGE' };
  }

  /** Keys with an entry (deleted ones included) matching `filter` (`*` and `>` wildcards). */
  async keys(filter: string): Promise<string[]> {
    const prefix = `$KV.${this.name}.`;
    const info = await this.jsm.streams.info(this.stream, { subjects_filter: `${prefix}${filter}` });
    return Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length));
  }

  /** Deletes the bucket. */
  async destroy(): Promise<void> {
    await this.jsm.streams.delete(this.stream);
  }
}
