const STORAGE_KEY = 'centinela.apiKey';

/** The signed-in API key, kept for this browser tab only (sessionStorage). */
export function storedKey(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function rememberKey(key: string): void {
  sessionStorage.setItem(STORAGE_KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
