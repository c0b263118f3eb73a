/**
 * Where a write runs, as a team weighs it: production code, or code that runs by hand or only in
 * development (a management command, sample or dummy data, a fixtures loader, tests). Findings
 * quote production writes first, and a cache stale only after such writes is information, not a
 * warning: the team would not act on it the same way.
 */
import type { WriteSite } from './domain/events';
import { isTestPath } from './fileSelection';

type WriteOrigin =
  | { kind: 'production' }
  /** `<app>/management/commands/<name>.py`: run by hand or by a scheduler, `manage.py <name>`. */
  | { kind: 'command'; name: string }
  /** Another module of a `management` package: what its commands share (`management/products.py`). */
  | { kind: 'commandCode'; path: string }
  /** A module whose name says it makes sample, dummy, fake, random or demo data, or loads fixtures. */
  | { kind: 'sampleData'; path: string }
  | { kind: 'test' };

const COMMAND = /(?:^|\/)management\/commands\/([^/]+)\.py$/;
const MANAGEMENT_PACKAGE = /(?:^|\/)management\//;
/** Module or package names of data made for development: `random_data.py`, `dummy_data/`, `load_fixtures.py`. */
const SAMPLE_DATA =
  /(?:^|\/)(?:(?:sample|dummy|fake|random|demo)_?data|populate_?(?:db|data)|load_?fixtures|fixtures_?loader)(?:\/|\.py$)/;

function writeOrigin(w: WriteSite): WriteOrigin {
  const path = w.file.path;
  const command = COMMAND.exec(path);
  if (command) return { kind: 'command', name: command[1] };
  if (MANAGEMENT_PACKAGE.test(path)) return { kind: 'commandCode', path };
  if (SAMPLE_DATA.test(path)) return { kind: 'sampleData', path };
  if (isTestPath(path)) return { kind: 'test' };
  return { kind: 'production' };
}

export function inProduction(w: WriteSite): boolean {
  return writeOrigin(w).kind === 'production';
}

/** Production writes first, each group in its own order (the sort is stable). */
export function productionFirst<T extends WriteSite>(writes: readonly T[]): T[] {
  return [...writes].sort((x, y) => Number(!inProduction(x)) - Number(!inProduction(y)));
}

/** Whether there are writes and none of them is production code. */
export function onlyOffProduction(writes: readonly WriteSite[]): boolean {
  return writes.length > 0 && !writes.some(inProduction);
}

/**
 * Who makes the writes when none is production code: "management command `populatedb`",
 * "sample-data code (shop/random_data.py) and tests"; nothing when a production write is among them.
 */
export function offProductionWriters(writes: readonly WriteSite[]): string | undefined {
  if (!onlyOffProduction(writes)) return undefined;
  const origins = writes.map(writeOrigin);
  const commands = [...new Set(origins.flatMap((o) => (o.kind === 'command' ? [o.name] : [])))];
  const shared = [...new Set(origins.flatMap((o) => (o.kind === 'commandCode' ? [o.path] : [])))];
  const samples = [...new Set(origins.flatMap((o) => (o.kind === 'sampleData' ? [o.path] : [])))];
  const parts = [
    ...(commands.length
      ? [`management command${commands.length > 1 ? 's' : ''} ${commands.map((n) => `\`${n}\``).join(', ')}`]
      : []),
    ...(shared.length ? [`management command code (${shared.join(', ')})`] : []),
    ...(samples.length ? [`sample-data code (${samples.join(', ')})`] : []),
    ...(origins.some((o) => o.kind === 'test') ? ['tests'] : []),
  ];
  return parts.join(' and ');
}
