/**
 * The worker thread of shareParsing (parallel.ts): parses the files it claims and sends their
 * trees back flattened. It builds no facts, so what it sends is a few typed arrays, moved, not copied.
 */
import { parentPort } from 'worker_threads';
import { type FlatTree, flattenTree, loadPythonParser, parsePython } from '../syntax/parser';
import { CLAIMED, type ParseReply, type ParseRequest, SENT } from './parallel';

const parser = loadPythonParser();

parentPort?.on('message', async ({ texts, control, replies }: ParseRequest) => {
  const counters = new Int32Array(control);
  const p = await parser;
  for (let index = Atomics.add(counters, CLAIMED, 1); index < texts.length; index = Atomics.add(counters, CLAIMED, 1)) {
    let tree: FlatTree | undefined;
    try {
      const live = parsePython(p, texts[index]);
      if (live) {
        try {
          tree = flattenTree(live);
        } finally {
          live.delete();
        }
      }
    } catch {
      // The main thread parses this file itself.
    }
    const reply: ParseReply = { index, tree };
    replies.postMessage(reply, tree ? [tree.nodes.buffer as ArrayBuffer] : []);
    Atomics.add(counters, SENT, 1);
    Atomics.notify(counters, SENT);
  }
  replies.close();
});
