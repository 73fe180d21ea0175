/** One enrolled reference template. `template` is AES-256-GCM ciphertext (see `template-cipher.ts`). */
export interface FaceTemplateTable {
  id: string;
  user_id: string;
  /** Recognition model that made the descriptor; others don't compare. */
  model: string;
  /** `v1.` + base64(iv | tag | ciphertext); the user and template ids are its associated data. */
  template: string;
  /** Blob-store key of the encrypted reference photo, when photos are kept. */
  photo_key: string | null;
  /** JSON: box, confidence and quality of the enrolled face (no biometric data). */
  face: string;
  /** ms since the epoch. */
  created_at: number;
  created_by: string;
}

/** One verification attempt. No image, descriptor or template is ever stored here. */
export interface VerificationTable {
  id: string;
  user_id: string;
  movement: string | null;
  transaction_id: string | null;
  result: 'match' | 'no_match' | 'rejected';
  /** Best calibrated similarity 0..100; null when rejected. */
  similarity: number | null;
  threshold: number;
  /** Why it was rejected (an error code), or null. */
  reason: string | null;
  request_id: string | null;
  actor: string;
  /** ms since the epoch. */
  at: number;
  latency_ms: number;
}
