/** A message as the in-process transport stores it. */
export interface StoredMessage {
  readonly seq: number;
  readonly partition: number;
  readonly key: string;
  readonly data: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}

export interface InProcessStreamOptions {
  readonly partitions: number;
  /** A `msgId` published again within this window is a duplicate. */
  readonly duplicateWindowMs: number;
  /** Oldest messages beyond this count are dropped. */
  readonly maxMessages: number;
}

/**
 * One in-memory stream: messages by sequence, the sequences of each partition in order, and
 * the dedupe window. Nothing survives the process.
 */
export class InProcessStream {
  private readonly messages = new Map<number, StoredMessage>();
  private readonly partitionSeqs: number[][];
  private readonly seen = new Map<string, { readonly seq: number; readonly at: number }>();
  private readonly listeners = new Set<(message: StoredMessage) => void>();
  private lastSeq = 0;
  private firstSeq = 1;

  constructor(private readonly options: InProcessStreamOptions) {
    this.partitionSeqs = Array.from({ length: options.partitions }, () => []);
  }

  /** Stores a message unless `msgId` was seen within the window. */
  append(message: Omit<StoredMessage, 'seq'>, msgId?: string): { seq: number; duplicate: boolean } {
    const now = Date.now();
    this.forgetOldIds(now);
    const previous = msgId === undefined ? undefined : this.seen.get(msgId);
    if (previous) return { seq: previous.seq, duplicate: true };
    const stored = { ...message, seq: ++this.lastSeq };
    this.messages.set(stored.seq, stored);
    this.partitionSeqs[stored.partition]?.push(stored.seq);
    if (msgId !== undefined) this.seen.set(msgId, { seq: stored.seq, at: now });
    this.dropOverLimit();
    for (const listener of this.listeners) listener(stored);
    return { seq: stored.seq, duplicate: false };
  }

  /** Messages stored now. */
  get size(): number {
    return this.messages.size;
  }

  get(seq: number): StoredMessage | undefined {
    return this.messages.get(seq);
  }

  /** The sequences published to `partition`, in order (deleted ones included; `get` skips them). */
  seqsOf(partition: number): readonly number[] {
    return this.partitionSeqs[partition] ?? [];
  }

  /** Up to `limit` stored messages from `fromSeq` on, in order. */
  range(fromSeq: number, limit: number): StoredMessage[] {
    const out: StoredMessage[] = [];
    for (let seq = Math.max(fromSeq, this.firstSeq); seq <= this.lastSeq && out.length < limit; seq++) {
      const message = this.messages.get(seq);
      if (message) out.push(message);
    }
    return out;
  }

  delete(seq: number): boolean {
    return this.messages.delete(seq);
  }

  /** Calls `listener` synchronously with every new message; returns the function that stops it. */
  onAppend(listener: (message: StoredMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private forgetOldIds(now: number): void {
    for (const [id, { at }] of this.seen) {
      if (now - at < this.options.duplicateWindowMs) break;
      this.seen.delete(id);
    }
  }

  private dropOverLimit(): void {
    while (this.messages.size > this.options.maxMessages && this.firstSeq <= this.lastSeq)
      this.messages.delete(this.firstSeq++);
  }
}
