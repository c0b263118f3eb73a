/** Requests and notifications between the djcache client and server beyond standard LSP. Plain types only. */
import type { Graph } from './graph';

/** Server → client: what the status item shows. */
export const STATUS_NOTIFICATION = 'djcache/status';
export interface StatusParams {
  state: 'indexing' | 'ready' | 'error';
  /** Files read so far and in total, while indexing. */
  done?: number;
  total?: number;
  /** Findings over every folder, once ready. */
  findings?: number;
  /** Paths over every folder that could not be listed or read (loops, unreadable, too big), once ready; the server's log names them. */
  skipped?: number;
  message?: string;
}

/** Client → server: the dependency graph of every workspace folder, for the Cache Map. */
export const GRAPH_REQUEST = 'djcache/graph';
export interface GraphFolder {
  /** The folder's URI; graph paths are relative to it. */
  uri: string;
  name: string;
  graph: Graph;
  findings: { code: string; path: string; line: number; message: string; entryId?: string; model?: string }[];
}
export interface GraphResult {
  folders: GraphFolder[];
}

/** Commands the server executes (workspace/executeCommand). */
export const COMMANDS = {
  /** Re-read every file of every folder and re-publish. */
  revalidate: 'djcache.server.revalidate',
  /** Args: [uri]. Applies every safe fix in that document through workspace/applyEdit. */
  fixAll: 'djcache.server.fixAll',
} as const;

/** Commands the client implements; code actions and code lenses refer to them. */
export const CLIENT_COMMANDS = {
  /** Args: [url]. Opens a rule's documentation. */
  openRuleDoc: 'djcache.openRuleDoc',
  /** Args: [uri, Position, Location[]]. Shows locations in a peek view (the code lens target). */
  showLocations: 'djcache.showLocations',
  showCacheMap: 'djcache.showCacheMap',
} as const;
