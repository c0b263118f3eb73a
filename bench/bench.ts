/**
 * `npm run bench -- <dir>`: files and lines, parse-only time for the same files with the same
 * parser, cold end-to-end time (facts, analysis, all rules), warm time (fact cache), their ratios,
 * and each phase's peak RSS. Each phase runs in its own process so RSS figures do not mix.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { createNodeFs } from '../server/src/nodeFs';
import { defaultConfig } from '../server/src/config';
import { analyzeWorkspace, isRelevantPath } from '../server/src/engine';
import { decodeSource } from '../server/src/facts/extract';
import { DiskFactCache } from '../server/src/factCache';
import { loadPythonParser, parsePython } from '../server/src/syntax/parser';

interface PhaseResult { ms: number; maxRssMb: number; files: number; lines: number; findings?: number; factMs?: number; analysisMs?: number }

async function phase(name: string, dir: string, cacheDir: string): Promise<PhaseResult> {
  const fs = createNodeFs(dir, defaultConfig);
  const parser = await loadPythonParser();
  const files = (await fs.list()).filter(isRelevantPath);
  if (name === 'parse') {
    const start = performance.now();
    let lines = 0;
    for (const f of files) {
      if (!f.endsWith('.py')) continue;
      const text = decodeSource(await fs.read(f));
      lines += text.split('\n').length;
      parsePython(parser, text)?.delete();
    }
    return { ms: performance.now() - start, maxRssMb: process.resourceUsage().maxRSS / 1024, files: files.length, lines };
  }
  const cache = name === 'cold' ? undefined : new DiskFactCache(cacheDir);
  const start = performance.now();
  const result = await analyzeWorkspace(fs, defaultConfig, undefined, cache);
  const ms = performance.now() - start;
  cache?.save();
  const { stats } = result;
  return { ms, maxRssMb: process.resourceUsage().maxRSS / 1024, files: stats.files, lines: stats.lines, findings: result.findings.length, factMs: stats.factMs, analysisMs: stats.analysisMs };
}

function runPhase(name: string, dir: string, cacheDir: string): PhaseResult {
  const out = execFileSync(process.execPath, [__filename, '--phase', name, dir, cacheDir], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').pop()!);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--phase') {
    process.stdout.write(JSON.stringify(await phase(args[1], args[2], args[3])) + '\n');
    return;
  }
  const dirs = args.length ? args : [path.join(__dirname, '..', '..', 'examples', 'shop')];
  for (const dir of dirs) {
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'djcache-bench-'));
    try {
      const parse = runPhase('parse', dir, cacheDir);
      const cold = runPhase('cold', dir, cacheDir);
      runPhase('fill', dir, cacheDir);
      const warm = runPhase('warm', dir, cacheDir);
      const row = (label: string, r: PhaseResult) => `  ${label.padEnd(26)} ${(r.ms / 1000).toFixed(2).padStart(7)} s   peak RSS ${r.maxRssMb.toFixed(0).padStart(5)} MB`;
      console.log(`${dir}`);
      console.log(`  files ${cold.files}, Python lines ${parse.lines}, findings ${cold.findings}`);
      console.log(row('parse only (same parser)', parse));
      console.log(row('cold end-to-end', cold));
      console.log(`    of which facts ${(cold.factMs! / 1000).toFixed(2)} s, analysis and rules ${(cold.analysisMs! / 1000).toFixed(2)} s`);
      console.log(row('warm (fact cache)', warm));
      console.log(`  cold / parse-only ratio      ${(cold.ms / parse.ms).toFixed(2)}`);
      console.log(`  warm / parse-only ratio      ${(warm.ms / parse.ms).toFixed(2)}`);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
