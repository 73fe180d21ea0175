import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { AppError, ValidationError } from '../errors.js';
import type { Database } from '../store/database.js';
import type { WebhookEmission, WebhookEvent } from './webhook-events.js';
import {
  deleteWebhook,
  findWebhook,
  insertDeliveries,
  insertWebhook,
  listDeliveries,
  listWebhooks,
  type DeliveryFilter,
  type DeliveryRow,
  type WebhookRow,
} from './webhook.repository.js';
import { nextCursor, readPage } from '../shared/keyset-cursor.js';
import { hostOrPortProblem } from './webhook-url.js';
import { isPrivateHost } from './private-addresses.js';

/** A subscription as listed (never the secret). */
export interface WebhookInfo {
  readonly id: string;
  readonly url: string;
  readonly events: readonly WebhookEvent[];
  readonly description: string | null;
  readonly created_at: string;
  readonly created_by: string;
}

/** One delivery as the log shows it. */
export interface DeliveryInfo {
  readonly id: string;
  readonly event: string;
  readonly status: DeliveryRow['status'];
  readonly attempts: number;
  readonly next_attempt_at: string | null;
  readonly last_status_code: number | null;
  readonly last_error: string | null;
  readonly created_at: string;
  readonly delivered_at: string | null;
  readonly payload: unknown;
}

/** How often subscriptions made by other processes are picked up (ms). */
const REFRESH_MS = 5000;

/**
 * Webhook subscriptions and the outbox of deliveries. {@link emit} writes one delivery row
 * per subscriber (durable before it resolves); the {@link WebhookDispatcher} sends them.
 */
export class WebhookService {
  private subscriptions: readonly WebhookRow[] = [];
  private loadedAt = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly onQueued: () => void = () => undefined,
    /** Subscriptions may name private, loopback or link-local hosts (refused by default). */
    private readonly options: { readonly allowPrivateNetworks: boolean } = { allowPrivateNetworks: false },
  ) {}

  /** Creates a subscription; the signing secret is in this answer only. */
  async create(input: { url: string; events: readonly WebhookEvent[]; description?: string }, actor: string) {
    checkUrl(input.url, this.options.allowPrivateNetworks);
    const row = {
      id: `wh_${randomBytes(9).toString('base64url')}`,
      url: input.url,
      events: JSON.stringify([...new Set(input.events)]),
      secret: `whsec_${randomBytes(24).toString('base64url')}`,
      description: input.description ?? null,
      created_at: Date.now(),
      created_by: actor,
      deleted_at: null,
    };
    await insertWebhook(this.db, row);
    this.loadedAt = 0;
    return { ...infoOf(row), secret: row.secret };
  }

  async list(): Promise<WebhookInfo[]> {
    return (await listWebhooks(this.db)).map(infoOf);
  }

  /** Deletes a subscription: pending deliveries stop, the delivery log stays. */
  async remove(id: string): Promise<void> {
    if (!(await deleteWebhook(this.db, id, Date.now()))) {
      throw new AppError('NOT_FOUND', `No webhook with id '${id}'.`);
    }
    this.loadedAt = 0;
  }

  /** The delivery log of a subscription, newest first, with the cursor of the next page (or null). */
  async deliveries(
    id: string,
    filter: DeliveryFilter,
  ): Promise<{ items: DeliveryInfo[]; nextCursor: string | null }> {
    if (!(await findWebhook(this.db, id))) throw new AppError('NOT_FOUND', `No webhook with id '${id}'.`);
    const page = await readPage(filter.limit, (limit) => listDeliveries(this.db, id, { ...filter, limit }));
    const cursorAt = (row: (typeof page.rows)[number]) => ({ at: Number(row.created_at), id: row.id });
    return { items: page.rows.map(deliveryInfoOf), nextCursor: nextCursor(page, cursorAt) };
  }

  /** Queues `event` for every subscriber; see {@link EmitWebhook}. */
  emit(event: WebhookEvent, payload: unknown): Promise<number> {
    return this.emitMany([{ event, payload }]);
  }

  /** Queues several events in one write; resolves with the number of deliveries queued. */
  async emitMany(emissions: readonly WebhookEmission[]): Promise<number> {
    const subscriptions = await this.current();
    if (subscriptions.length === 0 || emissions.length === 0) return 0;
    const now = Date.now();
    const rows = emissions.flatMap(({ event, payload }) => {
      const targets = subscriptions.filter((s) => (JSON.parse(s.events) as string[]).includes(event));
      if (targets.length === 0) return [];
      const body = JSON.stringify({
        id: `evt_${randomUUID()}`,
        event,
        created_at: new Date(now).toISOString(),
        data: payload,
      });
      return targets.map((s) => ({
        id: `dlv_${randomUUID()}`,
        webhook_id: s.id,
        event,
        payload: body,
        status: 'pending' as const,
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
        last_status_code: null,
        last_error: null,
        delivered_at: null,
      }));
    });
    await insertDeliveries(this.db, rows);
    if (rows.length > 0) this.onQueued();
    return rows.length;
  }

  private async current(): Promise<readonly WebhookRow[]> {
    if (Date.now() - this.loadedAt > REFRESH_MS) {
      this.subscriptions = await listWebhooks(this.db);
      this.loadedAt = Date.now();
    }
    return this.subscriptions;
  }
}

/**
 * An http(s) URL written as such: `scheme://host…` with no spaces or backslashes (the URL
 * parser would quietly repair `http:///x`, ` http://a.com/ ` or `http:\\a.com`, and store
 * them as sent), and no user name or password (fetch refuses to send to one, so every
 * delivery failed, and the listing showed the password).
 */
function checkUrl(url: string, allowPrivateNetworks: boolean): void {
  const fail = (message: string, code = 'format'): never => {
    throw new ValidationError([{ field: 'url', code, message }]);
  };
  const parsed = WRITTEN_AS_URL.test(url) && URL.canParse(url) ? new URL(url) : undefined;
  if (!parsed) return fail('url must be an http(s) URL such as https://example.com/hooks.');
  if (parsed.username || parsed.password)
    fail('url must not hold a user name or password; authenticate with the signature.');
  const unreachable = hostOrPortProblem(parsed);
  if (unreachable) fail(unreachable);
  if (!allowPrivateNetworks && isPrivateHost(parsed.hostname))
    fail(
      `url must not point at this host or a private, link-local or reserved address (${parsed.hostname}); CENTINELA_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true allows it.`,
      'private_address',
    );
}

const WRITTEN_AS_URL = /^https?:\/\/[^\s/\\?#]+[^\s\\]*$/i;

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

function infoOf(row: WebhookRow): WebhookInfo {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as WebhookEvent[],
    description: row.description,
    created_at: new Date(Number(row.created_at)).toISOString(),
    created_by: row.created_by,
  };
}

function deliveryInfoOf(row: DeliveryRow): DeliveryInfo {
  return {
    id: row.id,
    event: row.event,
    status: row.status,
    attempts: Number(row.attempts),
    next_attempt_at: row.status === 'pending' ? iso(row.next_attempt_at) : null,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    created_at: new Date(Number(row.created_at)).toISOString(),
    delivered_at: iso(row.delivered_at),
    payload: JSON.parse(row.payload) as unknown,
  };
}
