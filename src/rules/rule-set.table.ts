/** Every version of the rule set ever saved; exactly one is active. */
export interface RuleSetTable {
  version: number;
  name: string;
  /** The rule set document (JSON). */
  document: string;
  created_at: number;
  created_by: string;
  active: number;
  activated_at: number | null;
}
