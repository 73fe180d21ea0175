/**
 * Whether `text` is a plain decimal number (`80`, `-1.5`, `.5`): what people type. `Number()`
 * also reads `0x50` as 80, `1e3`, `Infinity` and '' as 0, which a flag or form field must not.
 */
export function isDecimalText(text: string): boolean {
  return /^-?(\d+\.?\d*|\.\d+)$/.test(text.trim());
}
