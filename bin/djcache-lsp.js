#!/usr/bin/env node
// The language server over stdio for any LSP client: `djcache-lsp --stdio`.
require('../out/server/src/server.js');
