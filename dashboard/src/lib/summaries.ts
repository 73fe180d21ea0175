import type { StructuringAlert } from './types';

export interface Tally {
  readonly label: string;
  readonly value: number;
}

/** Counts by a key, largest first, at most `top`. */
export function tally<T>(items: readonly T[], key: (item: T) => string | null, top = 10): Tally[] {
  const counts = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    if (k !== null) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts]
    .map(([label, value]) => ({ label, value }))
    .sort((a, b) => b.value - a.value || a.label.localeCompare(b.label))
    .slice(0, top);
}

/** Alerts per method and UTC hour of the window end. */
export function hourByMethod(alerts: readonly StructuringAlert[]): { name: string; hours: number[] }[] {
  const rows = new Map<string, number[]>();
  for (const alert of alerts) {
    const hours = rows.get(alert.method) ?? new Array<number>(24).fill(0);
    const hour = new Date(alert.window_end).getUTCHours();
    hours[hour] = (hours[hour] ?? 0) + 1;
    rows.set(alert.method, hours);
  }
  return [...rows].map(([name, hours]) => ({ name, hours })).sort((a, b) => a.name.localeCompare(b.name));
}

/** The items of a list answer, whether it is `{items}` or a bare array. */
export function itemsOf<T>(answer: { items: readonly T[] } | readonly T[]): readonly T[] {
  return Array.isArray(answer) ? (answer as readonly T[]) : (answer as { items: readonly T[] }).items;
}
