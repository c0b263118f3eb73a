/**
 * `node out/bench/fuzz.js [--seed N] [--count N] [--only MUTATION] [--hang-seconds N]`: the long
 * fuzz run of docs/reliability.md, with the fuzz suite's mutations and harness (test/fuzz/), over
 * seeds N to N+count-1 (only those whose case is MUTATION with --only). Prints every failure with
 * its seed, then the cases run, the failures by mutation and the process's max RSS. Exits 1 when
 * anything failed.
 */
import * as path from 'path';
import { describeFailure, runCampaign } from '../test/fuzz/campaign';
import { caseFor, loadCorpus } from '../test/fuzz/mutate';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

async function main(): Promise<void> {
  const firstSeed = option('--seed', 1);
  const count = option('--count', 10_000);
  const repoRoot = path.join(__dirname, '..', '..');
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
  const corpus = only ? loadCorpus(repoRoot) : [];
  const seeds = Array.from({ length: count }, (_, i) => firstSeed + i).filter(
    (seed) => !only || caseFor(seed, corpus).mutation === only,
  );
  const started = Date.now();
  const byMutation = new Map<string, number>();
  const result = await runCampaign({
    repoRoot,
    seeds,
    timeCapMs: Number.POSITIVE_INFINITY,
    hangMs: option('--hang-seconds', 60) * 1000,
    onCase: (r, done) => {
      byMutation.set(r.mutation, (byMutation.get(r.mutation) ?? 0) + 1);
      if (r.error || r.missing.length)
        console.log(
          describeFailure({
            seed: r.seed,
            mutation: r.mutation,
            file: r.file,
            what: r.error ?? `sentinel findings missing: ${r.missing.join(', ')}`,
          }),
        );
      if (done % 500 === 0) console.error(`${done} cases, ${Math.round((Date.now() - started) / 1000)} s`);
    },
  });
  for (const f of result.failures.filter((x) => x.mutation === '?')) console.log(describeFailure(f));
  console.log(
    `seeds ${firstSeed}–${firstSeed + count - 1}${only ? ` (${only} only)` : ''}: ${result.cases} cases in ${Math.round((Date.now() - started) / 1000)} s, ${result.failures.length} failures`,
  );
  console.log(`cases by mutation: ${[...byMutation].map(([m, n]) => `${m} ${n}`).join(', ')}`);
  const failed = new Map<string, number>();
  for (const f of result.failures) failed.set(f.mutation, (failed.get(f.mutation) ?? 0) + 1);
  console.log(`failures by mutation: ${[...failed].map(([m, n]) => `${m} ${n}`).join(', ') || 'none'}`);
  console.log(`max RSS ${result.maxRssMb} MB (the process, worker threads included)`);
  process.exitCode = result.failures.length ? 1 : 0;
}

void main();
