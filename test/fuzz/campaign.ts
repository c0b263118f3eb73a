/**
 * Runs fuzz cases (seeds) on a worker thread and watches it: an error that escaped the engine, a
 * sentinel finding gone missing, a worker that died (a crash, a stack overflow outside every
 * catch, running out of memory) and a case with no answer for `hangMs` (a hang) are failures; a
 * dead or hung worker is replaced and the run goes on with the next seed. Used by the fuzz suite
 * (test/fuzz.test.ts) and the long run (bench/fuzz.ts).
 */
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { CaseReport, WorkerMessage } from './sentinel';

export interface Failure {
  seed: number;
  mutation: string;
  file: string;
  what: string;
}

export interface CampaignOptions {
  repoRoot: string;
  seeds: readonly number[];
  /** No new batch of cases starts after this long: bounds the run, asserts nothing. */
  timeCapMs: number;
  /** A case silent this long is a hang. */
  hangMs: number;
  /** Called after each case, for progress. */
  onCase?: (report: CaseReport, done: number) => void;
}

export interface CampaignResult {
  cases: number;
  failures: Failure[];
  sentinelFindings: number;
  stoppedByTimeCap: boolean;
  maxRssMb: number;
}

const BATCH = 20;

export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const started = Date.now();
  const failures: Failure[] = [];
  let cases = 0;
  let sentinelFindings = 0;
  let stoppedByTimeCap = false;
  for (let next = 0; next < o.seeds.length;) {
    if (Date.now() - started > o.timeCapMs) {
      stoppedByTimeCap = true;
      break;
    }
    const seeds = o.seeds.slice(next, next + BATCH);
    const outcome = await runBatch(o, seeds);
    sentinelFindings = Math.max(sentinelFindings, outcome.sentinelFindings);
    for (const r of outcome.reports) {
      cases++;
      if (r.error)
        failures.push({ seed: r.seed, mutation: r.mutation, file: r.file, what: `error escaped: ${r.error}` });
      else if (r.missing.length)
        failures.push({
          seed: r.seed,
          mutation: r.mutation,
          file: r.file,
          what: `sentinel findings missing: ${r.missing.join(', ')}`,
        });
      o.onCase?.(r, cases);
    }
    next += outcome.reports.length;
    if (outcome.lost) {
      cases++;
      next++;
      failures.push({ seed: outcome.lost.seed, mutation: '?', file: '?', what: outcome.lost.what });
    }
  }
  return {
    cases,
    failures,
    sentinelFindings,
    stoppedByTimeCap,
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

interface BatchOutcome {
  reports: CaseReport[];
  sentinelFindings: number;
  lost?: { seed: number; what: string };
}

/** One worker for one batch of seeds: it ends when the batch is done, the worker dies, or a case hangs. */
function runBatch(o: CampaignOptions, seeds: number[]): Promise<BatchOutcome> {
  return new Promise((resolve) => {
    // The main thread's stack (V8's 984 KB), not a worker's 4 MB: a recursion that overflows in the CLI overflows here too.
    const worker = new Worker(path.join(__dirname, 'worker.js'), {
      workerData: { repoRoot: o.repoRoot },
      resourceLimits: { stackSizeMb: 1 },
    });
    const outcome: BatchOutcome = { reports: [], sentinelFindings: 0 };
    let current = seeds[0];
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (lost?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (lost) outcome.lost = { seed: current, what: lost };
      void worker.terminate();
      resolve(outcome);
    };
    const watch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(`hang: no answer in ${o.hangMs / 1000} s`), o.hangMs);
    };
    watch();
    worker.on('message', (m: WorkerMessage) => {
      watch();
      if ('ready' in m) {
        outcome.sentinelFindings = m.expected.length;
        worker.postMessage(seeds);
      } else if ('started' in m) current = m.started;
      else if ('report' in m) outcome.reports.push(m.report);
      else finish();
    });
    worker.on('error', (e) => finish(`crash: ${e.name}: ${e.message}`));
    worker.on('exit', (code) => finish(`worker exited with code ${code}`));
  });
}

/** A failure as one line that says how to replay it. */
export function describeFailure(f: Failure): string {
  return `seed ${f.seed} (${f.mutation} of ${f.file}): ${f.what} — replay: node out/bench/fuzz.js --seed ${f.seed} --count 1`;
}
