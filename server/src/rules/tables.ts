/**
 * The rule tables of README.md and docs/rules/README.md, made from the registry: `npm run
 * docs:rules` writes them between their markers, and a test fails when a file's table drifts.
 */
import { allRules } from '.';

const TABLE_START =
  '<!-- rules table: written by `npm run docs:rules` from server/src/rules; edit the rules, not this table -->';
const TABLE_END = '<!-- end of rules table -->';

/** The table of README.md (links into docs/rules/) or of docs/rules/README.md, with what each rule finds. */
function rulesTable(file: 'README.md' | 'docs/rules/README.md'): string {
  const full = file === 'docs/rules/README.md';
  const rows = allRules.map(({ meta, doc }) => {
    const severity = `${meta.defaultSeverity}${doc.severityNote ? ` (${doc.severityNote})` : ''}`;
    const link = `[${meta.code}](${full ? '' : 'docs/rules/'}${meta.code}.md)`;
    return full
      ? `| ${link} | ${meta.name} | ${severity} | ${doc.reportedAt} | ${doc.finds} |`
      : `| ${link} | ${meta.name} | ${severity} |`;
  });
  const head = full
    ? ['| code | name | default severity | reported at | finds |', '| --- | --- | --- | --- | --- |']
    : ['| code | name | default |', '| --- | --- | --- |'];
  return [...head, ...rows].join('\n');
}

/** `text` with the table between its markers replaced; undefined when the markers are missing. */
export function withRulesTable(text: string, file: 'README.md' | 'docs/rules/README.md'): string | undefined {
  const start = text.indexOf(TABLE_START);
  const end = text.indexOf(TABLE_END, start);
  if (start < 0 || end < 0) return undefined;
  return `${text.slice(0, start)}${TABLE_START}\n${rulesTable(file)}\n${text.slice(end)}`;
}
