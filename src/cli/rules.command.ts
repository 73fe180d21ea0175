import type { Command } from 'commander';
import { activateAndRecord, saveAndRecord } from '../rules/rule-changes.js';
import type { RuleSetDocument } from '../rules/rule-set.js';
import type { RuleSetSummary, RuleSetVersion, RulesService } from '../rules/rules.service.js';
import { readRuleSetFile, wholeNumberOf, withServices, withStoreFlags, type StoreFlags } from './common.js';
import { formatTable, printResult } from './output.js';

/** `centinela rules list|show|apply|activate`. A running service picks changes up without a restart. */
export function rulesCommand(program: Command): void {
  const rules = program.command('rules').description('manage rule sets (changes apply without a restart)');

  withStoreFlags(rules.command('list'))
    .description('list rule set versions')
    .action(async (flags: StoreFlags) => {
      await withServices(flags, async ({ rules: service }) => {
        const items = await everyVersion(service);
        printResult(Boolean(flags.json), items, () =>
          formatTable(
            items.map((item) => ({ ...item })),
            ['version', 'active', 'name', 'rules', 'created_at', 'created_by'],
          ),
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
      await withServices(flags, async (services) => {
        const saved = await saveAndRecord(services, 'cli', document, flags.activate);
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
      await withServices(flags, async (services) => {
        const active = await activateAndRecord(services, 'cli', wholeNumberOf(version, 'VERSION', 1));
        printResult(Boolean(flags.json), active, () => `Rule set version ${active.version} is active.`);
      });
    });
}

/** Versions read a page at a time. */
const PAGE_SIZE = 500;

/** Every version, newest first, as summaries: the documents are not read. */
async function everyVersion(service: RulesService): Promise<RuleSetSummary[]> {
  const items: RuleSetSummary[] = [];
  let before: number | undefined;
  do {
    const page = await service.list({ limit: PAGE_SIZE, before });
    items.push(...page.items);
    before = page.nextCursor ?? undefined;
  } while (before !== undefined);
  return items;
}

function describeVersion(v: RuleSetVersion): string {
  const header = `Rule set ${v.name} v${v.version}${v.active ? ' (active)' : ''}, created ${v.created_at} by ${v.created_by}`;
  if (v.document === null) return `${header}\nUnreadable: ${v.problem ?? 'no document'}`;
  const rows = v.document.rules.map((r) => ({ ...r, enabled: r.enabled !== false }));
  const rules = formatTable(rows, ['id', 'severity', 'score', 'action', 'enabled', 'condition']);
  return [header, rules, describeLists(v.document)].join('\n');
}

/** A list's line stops adding entries at this width ("… and N more"), showing at least one. */
const LIST_LINE_CHARS = 100;
/** An entry longer than this is cut. */
const ENTRY_CHARS = 40;

/** The allow and deny lists, one line each: name, number of entries, and as many as fit the line. */
function describeLists(document: RuleSetDocument): string {
  const lists = Object.entries(document.lists ?? {});
  if (lists.length === 0) return '\nLists: (none)';
  return ['\nLists:', ...lists.map(([name, entries]) => listLine(name, entries))].join('\n');
}

function listLine(name: string, entries: readonly (string | number)[]): string {
  const head = `  ${name} (${entries.length}):`;
  let line = head;
  let shown = 0;
  for (const value of entries) {
    const entry = shortened(String(value));
    if (shown > 0 && line.length + entry.length + 2 > LIST_LINE_CHARS) break;
    line += `${shown > 0 ? ',' : ''} ${entry}`;
    shown += 1;
  }
  return shown < entries.length ? `${line}, … and ${entries.length - shown} more` : line;
}

function shortened(text: string): string {
  return text.length <= ENTRY_CHARS ? text : `${text.slice(0, ENTRY_CHARS - 1)}…`;
}
