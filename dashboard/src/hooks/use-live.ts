import { useEffect, useState } from 'react';
import { parseSse } from '../lib/sse';
import type { LiveCounters, LiveDecision } from '../lib/types';

export interface LiveState {
  readonly connected: boolean;
  readonly counters: LiveCounters | null;
  /** Newest first. */
  readonly recent: readonly LiveDecision[];
}

const KEEP = 50;
const RETRY_MS = 2000;

/**
 * Reads `GET /v1/events` with `fetch` (so the key travels in a header, never in the URL)
 * and keeps the latest counters and decisions; reconnects after a drop.
 */
export function useLive(apiKey: string): LiveState {
  const [state, setState] = useState<LiveState>({ connected: false, counters: null, recent: [] });
  useEffect(() => {
    const abort = new AbortController();
    const onEvent = (event: string, data: string) =>
      setState((s) => applyEvent(s, event, JSON.parse(data) as unknown));
    const loop = async () => {
      while (!abort.signal.aborted) {
        await readStream(apiKey, abort.signal, onEvent, (connected) =>
          setState((s) => ({ ...s, connected })),
        );
        if (!abort.signal.aborted) await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    };
    void loop();
    return () => abort.abort();
  }, [apiKey]);
  return state;
}

function applyEvent(state: LiveState, event: string, data: unknown): LiveState {
  if (event === 'counters') return { ...state, connected: true, counters: data as LiveCounters };
  if (event === 'decisions') {
    const items = [...(data as { items: LiveDecision[] }).items].reverse();
    return { ...state, recent: [...items, ...state.recent].slice(0, KEEP) };
  }
  return state;
}

async function readStream(
  apiKey: string,
  signal: AbortSignal,
  onEvent: (event: string, data: string) => void,
  onConnected: (connected: boolean) => void,
): Promise<void> {
  try {
    const response = await fetch('/v1/events', {
      headers: { 'x-api-key': apiKey, accept: 'text/event-stream' },
      signal,
    });
    if (!response.ok || !response.body) return;
    onConnected(true);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const parsed = parseSse(buffer + value);
      buffer = parsed.rest;
      for (const e of parsed.events) onEvent(e.event, e.data);
    }
  } catch {
    // Dropped or aborted: the caller retries unless aborted.
  } finally {
    onConnected(false);
  }
}
