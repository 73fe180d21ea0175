import { describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signatureHeaders, verifyWebhook } from './webhook-signature.js';

const SECRET = 'whsec_test';
const BODY = '{"event":"decision.review"}';
const SIGNED_AT = Date.UTC(2026, 5, 1, 12);

/** Verifies a delivery signed at SIGNED_AT as a receiver would `ageSeconds` later. */
function verifyAfter(ageSeconds: number, toleranceSeconds?: number): boolean {
  const headers = signatureHeaders(SECRET, BODY, SIGNED_AT);
  return verifyWebhook(
    SECRET,
    { timestamp: headers[TIMESTAMP_HEADER], signature: headers[SIGNATURE_HEADER] },
    BODY,
    { nowMs: SIGNED_AT + ageSeconds * 1000, toleranceSeconds },
  );
}

describe('verifyWebhook timestamp tolerance', () => {
  it('accepts a delivery within the default 300 s, refuses an older one (replay)', () => {
    expect(verifyAfter(0)).toBe(true);
    expect(verifyAfter(300)).toBe(true);
    expect(verifyAfter(301)).toBe(false);
    expect(verifyAfter(3600)).toBe(false);
  });

  it('refuses a timestamp from beyond the tolerance in the future', () => {
    expect(verifyAfter(-300)).toBe(true);
    expect(verifyAfter(-301)).toBe(false);
  });

  it('applies the tolerance the receiver chooses', () => {
    expect(verifyAfter(30, 60)).toBe(true);
    expect(verifyAfter(61, 60)).toBe(false);
    expect(verifyAfter(600, 900)).toBe(true);
  });

  it('refuses a missing or non-integer timestamp', () => {
    const signature = signatureHeaders(SECRET, BODY, SIGNED_AT)[SIGNATURE_HEADER];
    const verify = (timestamp: string | undefined) =>
      verifyWebhook(SECRET, { timestamp, signature }, BODY, { nowMs: SIGNED_AT });
    expect(verify(undefined)).toBe(false);
    expect(verify(`${SIGNED_AT / 1000}.5`)).toBe(false);
    expect(verify(String(SIGNED_AT / 1000))).toBe(true);
  });
});
