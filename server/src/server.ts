/** The language server's entry: `djcache-lsp --stdio`, or IPC/socket as the client asks (see createConnection). */
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './lsp/session';

const connection = createConnection(ProposedFeatures.all);
// A bug in one handler must not take the editor's diagnostics down with it.
process.on('uncaughtException', (error) => connection.console.error(`djcache: uncaught: ${error.stack ?? error}`));
process.on('unhandledRejection', (reason) =>
  connection.console.error(`djcache: unhandled rejection: ${String(reason)}`),
);
startServer(connection);
