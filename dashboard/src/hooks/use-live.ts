import { useEffect, useState } from 'react';
import { parseSse } from '../lib/sse';
import type { LiveCounters } from '../lib/types';

export interface LiveState {
  readonly connected: boolean;
  readonly counters: LiveCounters | null;
}

const RETRY_MS = 2000;

/** Decisions since the service started (null until the first counters arrive). */
export function liveTotal(live: LiveState): number | null {
  const totals = live.counters?.totals;
  return totals ? totals.approve + totals.review + totals.decline : null;
}

/**
 * Reads `GET /v1/events` with `fetch` (so the key travels in a header, never in the URL)
 * and keeps the latest counters (exact, unlike the sampled `decisions` events, which the
 * pages do not need: they reload what they show); reconnects after a drop.
 */
export function useLive(apiKey: string): LiveState {
  const [state, setState] = useState<LiveState>({ connected: false, counters: null });
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
