/** Every version of the rule set ever saved; exactly one is active. */
export interface RuleSetTable {
  version: number;
  name: string;
  /** The rule set document (JSON). */
  document: string;
  /** How many rules the document holds (0 when it is not a rule set), so listings need not read it. */
  rule_count: number;
  created_at: number;
  created_by: string;
  active: number;
  activated_at: number | null;
}
