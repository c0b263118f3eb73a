/** What the language status item says, from the server's djcache/status notification. No vscode imports: tested under node. */
import type { StatusParams } from '../../shared/protocol';

export interface StatusView {
  text: string;
  /** Shown after the text in the language status hover; empty when it would only repeat the text. */
  detail: string;
  busy: boolean;
  error: boolean;
}

/** The client's own states come before or after the server speaks. */
export type ClientPhase = 'starting' | 'stopped' | 'disabled';

export function describeClientPhase(phase: ClientPhase): StatusView {
  switch (phase) {
    case 'starting':
      return { text: 'djcache: starting', detail: '', busy: true, error: false };
    case 'stopped':
      return {
        text: 'djcache: stopped',
        detail: 'The language server stopped; see the output',
        busy: false,
        error: true,
      };
    case 'disabled':
      return { text: 'djcache: disabled', detail: 'djcache.enable is false', busy: false, error: false };
  }
}

export function describeStatus(status: StatusParams): StatusView {
  switch (status.state) {
    case 'indexing': {
      const progress = status.total !== undefined ? ` ${status.done ?? 0}/${status.total}` : '';
      return { text: `djcache: indexing${progress}`, detail: '', busy: true, error: false };
    }
    case 'ready': {
      const text =
        status.findings === undefined
          ? 'djcache: ready'
          : `djcache: ${status.findings} ${status.findings === 1 ? 'finding' : 'findings'}`;
      const detail = status.skipped
        ? `${status.skipped} ${status.skipped === 1 ? 'path' : 'paths'} skipped: see the output`
        : '';
      return { text, detail, busy: false, error: false };
    }
    case 'error':
      return { text: 'djcache: error', detail: status.message ?? 'See the output', busy: false, error: true };
  }
}
