-- Headless Neovim (0.7+) as a second LSP client of djcache-lsp. Started by test/e2e/neovim.e2e.sh
-- with DJCACHE_WS (a copy of examples/shop), DJCACHE_LSP (bin/djcache-lsp.js), DJCACHE_FILE (the
-- file to open, relative to the workspace) and DJCACHE_OUT (where to write what it saw).
local ws = assert(os.getenv('DJCACHE_WS'))
local out = assert(io.open(assert(os.getenv('DJCACHE_OUT')), 'w'))
local function say(line)
  out:write(line, '\n')
  out:flush()
end

local messages = {}
local id = vim.lsp.start_client({
  name = 'djcache',
  cmd = { 'node', assert(os.getenv('DJCACHE_LSP')), '--stdio' },
  root_dir = ws,
  workspace_folders = { { uri = vim.uri_from_fname(ws), name = 'shop' } },
  handlers = {
    ['window/showMessage'] = function(_, result) table.insert(messages, result.message) end,
    ['window/logMessage'] = function(_, result) table.insert(messages, result.message) end,
  },
  on_exit = function(code, signal) say(string.format('server exited: code %s signal %s', code, signal)) end,
})
if not id then
  say('FAIL could not start the language server')
  vim.cmd('qa!')
end

vim.cmd('edit ' .. vim.fn.fnameescape(ws .. '/' .. assert(os.getenv('DJCACHE_FILE'))))
vim.bo.filetype = 'python'
local buf = vim.api.nvim_get_current_buf()
vim.lsp.buf_attach_client(buf, id)

local function code_of(d)
  return d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or '?'
end

-- Wait (bounded) until the server published findings for the buffer.
local timeout = tonumber(os.getenv('DJCACHE_WAIT_MS') or '90000')
local started = vim.loop.now()
local ok = vim.wait(timeout, function() return #vim.diagnostic.get(buf) > 0 end, 100)
say(string.format('waited %d ms for diagnostics: %s', vim.loop.now() - started, ok and 'published' or 'timed out'))
local client = vim.lsp.get_client_by_id(id)
say('server initialized: ' .. tostring(client ~= nil and client.initialized ~= false))

local severities = { 'error', 'warning', 'info', 'hint' }
local diags = vim.diagnostic.get(buf)
table.sort(diags, function(a, b) return a.lnum < b.lnum end)
for _, d in ipairs(diags) do
  -- One line per finding: "DIAG <line>:<col> <severity> <code> <message>", 1-based like an editor.
  say(string.format('DIAG %d:%d %s %s %s', d.lnum + 1, d.col + 1, severities[d.severity] or d.severity,
    code_of(d), (d.message:gsub('\n', ' '))))
end
for _, m in ipairs(messages) do say('LOG ' .. (m:gsub('\n', ' '))) end

-- Shut the server down cleanly before leaving (bounded).
vim.lsp.stop_client(id)
vim.wait(10000, function() return vim.lsp.get_client_by_id(id) == nil end, 50)
say('done')
out:close()
vim.cmd('qa!')
