/** An error answer of the API, with its status and code (e.g. 403 FORBIDDEN). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The scope a 403 asked for, when the API said. */
    readonly needed?: string,
  ) {
    super(message);
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string; details?: { needed?: string } };
}

/** Calls the API with the signed-in key; throws {@link ApiError} for any non-2xx answer. */
export async function apiRequest<T>(key: string, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { 'x-api-key': key };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const parsed: unknown = text === '' ? undefined : safeJson(text);
  if (!response.ok) throw errorOf(response.status, parsed);
  return parsed as T;
}

/** Fetches a text document (e.g. an HTML report) with the key. */
export async function apiText(key: string, path: string): Promise<string> {
  const response = await fetch(path, { headers: { 'x-api-key': key } });
  const text = await response.text();
  if (!response.ok) throw errorOf(response.status, safeJson(text));
  return text;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorOf(status: number, body: unknown): ApiError {
  const error = (body as ErrorBody | undefined)?.error;
  return new ApiError(
    status,
    error?.code ?? `HTTP_${status}`,
    error?.message ?? `The API answered ${status}.`,
    error?.details?.needed,
  );
}

/** A message for people: what went wrong and what to do about it. */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  if (error.status === 403) {
    const scope = error.needed ? `the '${error.needed}' scope` : 'a scope this page needs';
    return `Your key lacks ${scope}. Sign in with a key that has it (or an admin key).`;
  }
  if (error.status === 401) return 'The key is unknown, revoked or expired. Sign in again.';
  return error.message;
}

/** Query string of the defined, non-empty values. */
export function queryOf(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== '');
  return entries.length === 0
    ? ''
    : `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()}`;
}
