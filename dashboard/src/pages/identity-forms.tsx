import { useState, type FormEvent } from 'react';
import { Card, ErrorNotice } from '../components/ui';
import { useSession } from '../hooks/session-context';
import { apiRequest } from '../lib/api';
import { formatDecimal } from '../lib/format';

interface VerifyAnswer {
  readonly verification_id?: string;
  readonly match?: boolean;
  readonly similarity?: number;
  readonly threshold?: number;
}

/** Enroll a reference photo for a user, or verify a new photo against it. */
export function FaceForm({ onDone }: { onDone: () => void }) {
  const { apiKey } = useSession();
  const [userId, setUserId] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const send = async (what: 'faces' | 'verify') => {
    if (!file || userId.trim() === '') return;
    setBusy(true);
    setError(undefined);
    setResult(null);
    try {
      const body = { image_base64: await base64Of(file) };
      const answer = await apiRequest<VerifyAnswer>(
        apiKey,
        'POST',
        `/v1/identities/${encodeURIComponent(userId.trim())}/${what}`,
        body,
      );
      setResult(
        what === 'faces' ? `Enrolled a reference face for ${userId.trim()}.` : describeVerify(answer),
      );
      onDone();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void send('verify');
  };
  return (
    <Card title="Enroll or verify a face" wide>
      <form className="filters" onSubmit={submit}>
        <label>
          User id
          <input value={userId} onChange={(e) => setUserId(e.target.value)} required placeholder="user-42" />
        </label>
        <label>
          Photo (JPEG, PNG or WebP)
          <input
            type="file"
            accept="image/jpeg,image/png,image/webp"
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            required
          />
        </label>
        <div className="filter-actions">
          <button
            type="button"
            className="secondary"
            disabled={busy || !file || userId.trim() === ''}
            onClick={() => void send('faces')}
          >
            Enroll
          </button>
          <button type="submit" disabled={busy || !file || userId.trim() === ''}>
            {busy ? 'Working…' : 'Verify'}
          </button>
        </div>
      </form>
      {result && (
        <p className="notice notice-ok" role="status" data-testid="face-result">
          {result}
        </p>
      )}
      <ErrorNotice error={error} />
    </Card>
  );
}

function describeVerify(answer: VerifyAnswer): string {
  const similarity =
    answer.similarity === undefined
      ? ''
      : ` (similarity ${formatDecimal(answer.similarity)} / threshold ${formatDecimal(answer.threshold ?? 80)})`;
  return `${answer.match ? 'Match' : 'No match'}${similarity}.`;
}

async function base64Of(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
