import type { AuditLog } from '../audit/audit-log.service.js';
import type { RuleSetChange, RuleSetVersion, RulesService } from './rules.service.js';

/** What a recorded rule set change needs: the rules and the audit log. */
export interface RuleChangeDeps {
  readonly rules: RulesService;
  readonly audit: AuditLog;
}

/**
 * Saves a rule set (`POST /v1/rules`, `centinela rules apply`) and records it: `rules.save`,
 * and `rules.activate` too when the save made it the active version.
 */
export async function saveAndRecord(
  { rules, audit }: RuleChangeDeps,
  actor: string,
  document: unknown,
  activate: boolean,
): Promise<RuleSetVersion> {
  const change = await rules.saveChange(document, actor, activate);
  const { version, name } = change.shown;
  await audit.record(actor, 'rules.save', String(version), { name, activated: activate });
  await recordActivation(audit, actor, change);
  return change.shown;
}

/** Activates a saved version and records it (`rules.activate`, with the version active before). */
export async function activateAndRecord(
  { rules, audit }: RuleChangeDeps,
  actor: string,
  version: number,
): Promise<RuleSetVersion> {
  const change = await rules.activateChange(version);
  await recordActivation(audit, actor, change);
  return change.shown;
}

async function recordActivation(audit: AuditLog, actor: string, change: RuleSetChange): Promise<void> {
  if (change.activation === undefined) return;
  await audit.record(actor, 'rules.activate', String(change.shown.version), {
    previous: change.activation.previous,
  });
}
