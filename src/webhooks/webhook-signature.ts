import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header with the Unix time (seconds) the delivery was signed at. */
export const TIMESTAMP_HEADER = 'x-centinela-timestamp';
/** Header with `v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`. */
export const SIGNATURE_HEADER = 'x-centinela-signature';

/** The hex HMAC-SHA256 of `${timestamp}.${body}` with the subscription's secret. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The signature headers of one delivery attempt (signed at `nowMs`). */
export function signatureHeaders(secret: string, body: string, nowMs = Date.now()): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: `v1=${signWebhook(secret, timestamp, body)}`,
  };
}

/**
 * What a receiver does: true when `signature` is the HMAC of `timestamp.body` and the
 * timestamp is within `toleranceSeconds` of now (refuses replays of old deliveries).
 */
export function verifyWebhook(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  options: { toleranceSeconds?: number; nowMs?: number } = {},
): boolean {
  const timestamp = Number(headers.timestamp);
  const now = (options.nowMs ?? Date.now()) / 1000;
  if (!Number.isInteger(timestamp) || Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) {
    return false;
  }
  const expected = Buffer.from(`v1=${signWebhook(secret, timestamp, body)}`);
  const given = Buffer.from(headers.signature ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
