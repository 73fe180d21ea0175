import type { Command } from 'commander';
import type { RuleSetVersion } from '../rules/rules.service.js';
import { readRuleSetFile, wholeNumberOf, withServices, withStoreFlags, type StoreFlags } from './common.js';
import { formatTable, printResult } from './output.js';

/** `centinela rules list|show|apply|activate`. A running service picks changes up without a restart. */
export function rulesCommand(program: Command): void {
  const rules = program.command('rules').description('manage rule sets (changes apply without a restart)');

  withStoreFlags(rules.command('list'))
    .description('list rule set versions')
    .action(async (flags: StoreFlags) => {
      await withServices(flags, async ({ rules: service }) => {
        const items = (await service.list()).map(summaryOf);
        printResult(Boolean(flags.json), items, () =>
          formatTable(items, ['version', 'active', 'name', 'rules', 'created_at', 'created_by']),
        );
      });
    });

  withStoreFlags(rules.command('show'))
    .description('show a rule set version (default: the active one)')
    .argument('[version]', 'version number')
    .action(async (version: string | undefined, flags: StoreFlags) => {
      await withServices(flags, async ({ rules: service }) => {
        const shown = await service.get(
          version === undefined ? await service.activeVersion() : wholeNumberOf(version, 'VERSION', 1),
        );
        printResult(Boolean(flags.json), shown, () => describeVersion(shown));
      });
    });

  withStoreFlags(rules.command('apply'))
    .description('validate a rule set JSON file and save it as a new version')
    .argument('<file>', 'rule set JSON file')
    .option('--no-activate', 'save without making it active')
    .action(async (file: string, flags: StoreFlags & { activate: boolean }) => {
      const document = await readRuleSetFile(file);
      await withServices(flags, async ({ rules: service, audit }) => {
        const saved = await service.save(document, 'cli', flags.activate);
        await audit.record('cli', 'rules.save', String(saved.version), {
          name: saved.name,
          activated: flags.activate,
        });
        printResult(
          Boolean(flags.json),
          saved,
          () => `Saved rule set version ${saved.version}${saved.active ? ' (active)' : ''}.`,
        );
      });
    });

  withStoreFlags(rules.command('activate'))
    .description('make a saved version the active one')
    .argument('<version>', 'version number')
    .action(async (version: string, flags: StoreFlags) => {
      await withServices(flags, async ({ rules: service, audit }) => {
        const active = await service.activate(wholeNumberOf(version, 'VERSION', 1));
        await audit.record('cli', 'rules.activate', String(active.version));
        printResult(Boolean(flags.json), active, () => `Rule set version ${active.version} is active.`);
      });
    });
}

function summaryOf(v: RuleSetVersion) {
  return {
    version: v.version,
    active: v.active,
    name: v.name,
    rules: v.document.rules.length,
    created_at: v.created_at,
    created_by: v.created_by,
  };
}

function describeVersion(v: RuleSetVersion): string {
  const header = `Rule set ${v.name} v${v.version}${v.active ? ' (active)' : ''}, created ${v.created_at} by ${v.created_by}`;
  const rows = v.document.rules.map((r) => ({ ...r, enabled: r.enabled !== false }));
  return `${header}\n${formatTable(rows, ['id', 'severity', 'score', 'action', 'enabled', 'condition'])}`;
}
