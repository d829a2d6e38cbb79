-- Neovim 0.7 as the LSP client of polar-language-server (headless). Run from the policy folder:
--   OUT=result.json SERVER=dist/main.js nvim --headless --clean -u nvim.lua
-- Opens every *.polar file of the folder, waits until the server has published for all of them,
-- records what arrived, asks for a completion and a rename, then edits main.polar (didChange) and
-- records again, then formats two buffers (Format Document).
local out = assert(os.getenv('OUT'))
local server = assert(os.getenv('SERVER'))
local edit_line = os.getenv('EDIT_LINE') or 'broken('

-- The shared client (nvim-client.lua), found beside this script.
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)') or './'
local client = dofile(here .. 'nvim-client.lua')
client.start(server)
local raw, files, client_id, uri_of = client.raw, client.files, client.client_id, client.uri_of

local function published_for_all()
  local seen = {}
  for _, p in ipairs(raw) do seen[p.uri] = true end
  for _, f in ipairs(files) do if not seen[uri_of(f)] then return false end end
  return true
end

local function shown()
  local items = {}
  for _, d in ipairs(vim.diagnostic.get()) do
    table.insert(items, { file = vim.api.nvim_buf_get_name(d.bufnr), lnum = d.lnum, col = d.col,
      end_lnum = d.end_lnum, end_col = d.end_col, severity = d.severity, message = d.message, code = d.code })
  end
  return items
end

local result = client.result
result.files = vim.tbl_map(uri_of, files)
local function finish(code, err) client.finish(out, code, err) end
local function settled(pred, on_done, deadline) client.settled(out, pred, on_done, deadline) end

local start = vim.loop.now()
-- Position of `needle` in the buffer, `delta` characters in (the fixture is ASCII: bytes = UTF-16 units).
local function pos_of(buf, needle, delta)
  for i, l in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    local s = l:find(needle, 1, true)
    if s then return { line = i - 1, character = s - 1 + delta } end
  end
  error('no ' .. needle)
end

-- The one answer of the polar client to a request (buf_request_sync answers per client).
local function request(buf, method, params)
  local answers = vim.lsp.buf_request_sync(buf, method, params, 5000) or {}
  local answer = answers[client_id] or {}
  return answer.result, answer.err
end

-- Completion in a shorthand rule's head string, and a rename of a rule defined in another file.
local function features()
  vim.cmd('buffer main.polar')
  local buf = vim.api.nvim_get_current_buf()
  local doc = { uri = vim.uri_from_bufnr(buf) }
  local items = request(buf, 'textDocument/completion', { textDocument = doc, position = pos_of(buf, '"read" if', 2) })
  local labels = {}
  for _, item in ipairs((items and (items.items or items)) or {}) do table.insert(labels, item.label) end
  result.completion = labels
  local edit, err = request(buf, 'textDocument/rename',
    { textDocument = doc, position = pos_of(buf, 'user_role(', 1), newName = 'member_role' })
  result.rename = { changes = edit and edit.changes or vim.empty_dict(), error = err and err.message or nil }
end

settled(published_for_all, function()
  result.opened = { raw = vim.deepcopy(raw), shown = shown() }
  features()
  local count = #raw
  -- Edit main.polar: append a line (Neovim sends the changed range: the server asked for incremental sync).
  vim.cmd('buffer main.polar')
  vim.api.nvim_buf_set_lines(0, -1, -1, false, { edit_line })
  settled(function() return #raw > count end, function()
    result.edited = { raw = vim.deepcopy(raw), shown = shown() }
    -- Format Document: roles.polar is not formatted; main.polar now has a syntax error (no edits).
    result.formatted = {}
    for _, name in ipairs({ 'roles.polar', 'main.polar' }) do
      vim.cmd('buffer ' .. name)
      vim.lsp.buf.formatting_sync(nil, 5000)
      result.formatted[name] = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n') .. '\n'
    end
    finish(0)
  end, vim.loop.now() + 15000)
end, start + 15000)
