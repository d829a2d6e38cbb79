-- Neovim 0.7 asks polar-language-server for the quick fixes of a diagnostic and applies one
-- (headless). Run from the policy folder:
--   OUT=result.json SERVER=dist/main.js FILE=roles.polar CODE=ValidationWarning::AmbiguousPrecedence \
--     nvim --headless --clean -u nvim-quick-fix.lua
-- Opens every *.polar file, waits for the diagnostics, asks textDocument/codeAction at FILE's first
-- diagnostic of CODE (with it in the context), records the actions, applies the preferred one with
-- Neovim's own workspace-edit code (a didChange follows), and records FILE's text and diagnostics.
local out = assert(os.getenv('OUT'))
local server = assert(os.getenv('SERVER'))
local file = assert(os.getenv('FILE'))
local code = assert(os.getenv('CODE'))

-- The shared client (nvim-client.lua), found beside this script.
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)') or './'
local client = dofile(here .. 'nvim-client.lua')
client.start(server)
local raw, files, client_id, uri_of = client.raw, client.files, client.client_id, client.uri_of
local target = uri_of(file)

local function latest(uri)
  local found = nil
  for _, p in ipairs(raw) do if p.uri == uri then found = p end end
  return found
end

local result = client.result
local function finish(status, err) client.finish(out, status, err) end
local function settled(pred, on_done, deadline) client.settled(out, pred, on_done, deadline) end

local function all_published()
  for _, f in ipairs(files) do if latest(uri_of(f)) == nil then return false end end
  return true
end

settled(all_published, function()
  vim.cmd('buffer ' .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  result.before = latest(target).diagnostics
  local diagnostic = nil
  for _, d in ipairs(result.before) do
    if d.code == code and diagnostic == nil then diagnostic = d end
  end
  if diagnostic == nil then return finish(4, 'no ' .. code .. ' published for ' .. file) end
  local answers = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction', {
    textDocument = { uri = target },
    range = diagnostic.range,
    context = { diagnostics = { diagnostic } },
  }, 5000) or {}
  local actions = (answers[client_id] or {}).result or {}
  result.actions = {}
  local chosen = nil
  for _, a in ipairs(actions) do
    table.insert(result.actions, { title = a.title, kind = a.kind, isPreferred = a.isPreferred == true })
    if a.kind == 'quickfix' and a.isPreferred then chosen = a end
  end
  if chosen == nil then return finish(5, 'no preferred quick fix') end
  local count = #raw
  vim.lsp.util.apply_workspace_edit(chosen.edit, 'utf-16')
  settled(function() return #raw > count end, function()
    result.text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n') .. '\n'
    result.after = latest(target).diagnostics
    finish(0)
  end, vim.loop.now() + 15000)
end, vim.loop.now() + 15000)
