/**
 * A text's length as JSON Schema's `maxLength` counts it (and so the API and the CLI's flags):
 * in code points, so an emoji is one character, not two UTF-16 units.
 */
export function textLength(text: string): number {
  return [...text].length;
}
