/**
 * `npm run bench -- [--runs N] <dir>...`: per project, N rounds of three phases, each phase in
 * its own process so peak RSS is per phase:
 * - parse only: list the files, read them as the engine does (reads in flight ahead) and parse
 *   every .py with the same parser, deleting each tree at once: the floor for a cold run;
 * - cold: analyzeWorkspace with no fact cache (listing, facts, analysis, all rules);
 * - warm: the same with the CLI's cache filled by an earlier run and no file changed (the stored
 *   result stands once every input's key is checked);
 * - edited: then one file changed (a function appended to the biggest non-test Python file): cached
 *   facts for the others, a full analysis.
 * The machine is shared and noisy, so ratios are taken within a round; the summary gives every
 * round's ratios and their median.
 *
 * `npm run bench -- [--runs N] --entries 1000,3000,10000`: instead, a generated project per count
 * of cache entries (bench/manyEntries.ts), cold runs only: how the analysis grows with the entries.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { createNodeFs } from '../server/src/engine/nodeFs';
import { defaultConfig } from '../server/src/config/config';
import { analyzeWorkspace, isRelevantPath } from '../server/src/engine/engine';
import type { WorkspaceFs } from '../server/src/engine/types';
import { isTestPath } from '../server/src/analysis/fileSelection';
import { decodeSource } from '../server/src/facts/extract';
import { readAhead } from '../server/src/engine/readAhead';
import { DiskFactCache } from '../server/src/engine/factCache';
import { loadPythonParser, parsePython } from '../server/src/syntax/parser';
import { writeManyEntriesProject } from './manyEntries';

interface PhaseResult {
  ms: number;
  maxRssMb: number;
  files: number;
  lines: number;
  unimportedTests?: number;
  findings?: number;
  factMs?: number;
  analysisMs?: number;
  /** CPU time of the process (both threads) over the phase: steadier than wall time on a shared machine. */
  cpuMs?: number;
}

async function phase(name: string, dir: string, cacheDir: string): Promise<PhaseResult> {
  const fs = createNodeFs(dir, defaultConfig);
  const parser = await loadPythonParser();
  if (name === 'parse') {
    const start = performance.now();
    const files = (await fs.list()).filter((p) => isRelevantPath(p) && p.endsWith('.py'));
    let lines = 0;
    const read = readAhead(fs, files);
    for (let i = 0; i < files.length; i++) {
      const bytes = await read(i);
      if (!bytes) continue;
      const text = decodeSource(bytes);
      lines += text.split('\n').length;
      parsePython(parser, text)?.delete();
    }
    return {
      ms: performance.now() - start,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      files: files.length,
      lines,
    };
  }
  // The edited file is chosen before the clock starts: finding it reads the whole tree once more.
  const input = name === 'edited' ? await withOneEdit(fs) : fs;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const cache = name === 'cold' ? undefined : new DiskFactCache(cacheDir);
  const result = await analyzeWorkspace(input, defaultConfig, undefined, cache);
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  cache?.save();
  const { stats } = result;
  return {
    ms,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    files: stats.files,
    lines: stats.lines,
    unimportedTests: stats.unimportedTests,
    findings: result.findings.length,
    factMs: stats.factMs,
    analysisMs: stats.analysisMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

/** The same files, with a function appended to the biggest Python file outside tests. */
async function withOneEdit(fs: WorkspaceFs): Promise<WorkspaceFs> {
  let target: { path: string; size: number } | undefined;
  for (const p of await fs.list()) {
    if (!p.endsWith('.py') || isTestPath(p)) continue;
    const size = (await fs.read(p)).length;
    if (!target || size > target.size) target = { path: p, size };
  }
  return {
    list: () => fs.list(),
    read: async (p) => {
      const bytes = await fs.read(p);
      return p === target?.path ? Buffer.concat([bytes, Buffer.from('\n\ndef _bench_edit():\n    return 1\n')]) : bytes;
    },
  };
}

function runPhase(name: string, dir: string, cacheDir: string): PhaseResult {
  const out = execFileSync(process.execPath, [__filename, '--phase', name, dir, cacheDir], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--phase') {
    process.stdout.write(JSON.stringify(await phase(args[1], args[2], args[3])) + '\n');
    return;
  }
  let runs = 1;
  const runsAt = args.indexOf('--runs');
  if (runsAt !== -1) {
    runs = Number(args[runsAt + 1]);
    args.splice(runsAt, 2);
    if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive whole number');
  }
  const entriesAt = args.indexOf('--entries');
  if (entriesAt !== -1) {
    benchEntryCounts(args[entriesAt + 1].split(',').map(Number), runs);
    return;
  }
  const dirs = args.length ? args : [path.join(__dirname, '..', '..', 'examples', 'shop')];
  for (const dir of dirs) {
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'djcache-bench-'));
    try {
      console.log(dir);
      const coldRatios: number[] = [];
      const warmRatios: number[] = [];
      for (let round = 1; round <= runs; round++) {
        rmSync(cacheDir, { recursive: true, force: true });
        const parse = runPhase('parse', dir, cacheDir);
        const cold = runPhase('cold', dir, cacheDir);
        runPhase('fill', dir, cacheDir);
        const warm = runPhase('warm', dir, cacheDir);
        const edited = runPhase('edited', dir, cacheDir);
        if (warm.findings !== cold.findings || edited.findings !== cold.findings) {
          throw new Error(
            `findings differ: cold ${cold.findings}, warm ${warm.findings}, one file edited ${edited.findings}`,
          );
        }
        coldRatios.push(cold.ms / parse.ms);
        warmRatios.push(warm.ms / parse.ms);
        if (round === 1)
          console.log(
            `  Python files ${parse.files}, Python lines ${parse.lines}; the engine read ${cold.files} files (Python and templates), skipped ${cold.unimportedTests} test files nothing imports; findings ${cold.findings}`,
          );
        console.log(
          `  round ${round}: parse only ${seconds(parse.ms)} (${parse.maxRssMb.toFixed(0)} MB)` +
            ` | cold ${seconds(cold.ms)} (${cold.maxRssMb.toFixed(0)} MB; facts ${seconds(cold.factMs!)}, analysis ${seconds(cold.analysisMs!)})` +
            ` | warm ${seconds(warm.ms)} (${warm.maxRssMb.toFixed(0)} MB)` +
            ` | one file edited ${seconds(edited.ms)} (${edited.maxRssMb.toFixed(0)} MB)` +
            ` | cold/parse ${coldRatios[round - 1].toFixed(2)}, warm/parse ${warmRatios[round - 1].toFixed(2)}`,
        );
      }
      if (runs > 1)
        console.log(
          `  median of ${runs} rounds: cold/parse ${median(coldRatios).toFixed(2)}, warm/parse ${median(warmRatios).toFixed(2)}`,
        );
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  }
}

function benchEntryCounts(counts: number[], runs: number): void {
  for (const entries of counts) {
    if (!Number.isInteger(entries) || entries < 1) throw new Error('--entries takes whole numbers, comma-separated');
    const dir = mkdtempSync(path.join(tmpdir(), 'djcache-bench-entries-'));
    try {
      writeManyEntriesProject(dir, entries);
      for (let round = 1; round <= runs; round++) {
        const cold = runPhase('cold', dir, dir);
        console.log(
          `${entries} entries, round ${round}: ${cold.files} files, ${cold.lines} lines, findings ${cold.findings}` +
            ` | cold ${seconds(cold.ms)} (facts ${seconds(cold.factMs!)}, analysis ${seconds(cold.analysisMs!)};` +
            ` CPU ${seconds(cold.cpuMs!)}; ${cold.maxRssMb.toFixed(0)} MB)`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
