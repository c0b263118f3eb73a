/**
 * The fuzz worker thread (campaign.ts starts it): runs the engine on each case's mutated file
 * beside the sentinel app, and reports per case whether anything escaped and whether the
 * sentinel's findings are still all there. It runs cases one after another with the same
 * parsers, so a file that breaks a parser shows in the cases after it.
 */
import { parentPort, workerData } from 'worker_threads';
import { analyzeWorkspace } from '../../server/src/engine/engine';
import { defaultConfig } from '../../server/src/config/config';
import { memoryFs } from '../tree';
import { caseFor, loadCorpus } from './mutate';
import { SENTINEL, type CaseReport, type WorkerMessage } from './sentinel';

async function findingsOf(files: Map<string, Uint8Array>): Promise<string[]> {
  const { findings } = await analyzeWorkspace(memoryFs(files), defaultConfig);
  return findings.map((f) => `${f.path}:${f.loc[0] + 1} ${f.code}`);
}

async function start(repoRoot: string): Promise<void> {
  const corpus = loadCorpus(repoRoot);
  const sentinel = new Map([...Object.entries(SENTINEL)].map(([p, t]) => [p, Buffer.from(t)]));
  const expected = await findingsOf(sentinel);
  parentPort!.postMessage({ ready: true, expected } satisfies WorkerMessage);
  parentPort!.on('message', async (seeds: number[]) => {
    for (const seed of seeds) {
      const c = caseFor(seed, corpus);
      parentPort!.postMessage({ started: seed } satisfies WorkerMessage);
      const report: CaseReport = { seed, mutation: c.mutation, file: c.file, missing: [] };
      try {
        const found = await findingsOf(new Map([...sentinel, [c.path, c.bytes]]));
        report.missing = expected.filter((f) => !found.includes(f));
      } catch (e) {
        report.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
      parentPort!.postMessage({ report } satisfies WorkerMessage);
    }
    parentPort!.postMessage({ batchDone: true } satisfies WorkerMessage);
  });
}

if (parentPort && workerData) void start((workerData as { repoRoot: string }).repoRoot);
