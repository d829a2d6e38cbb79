-- What the headless Neovim scripts (nvim.lua, nvim-quick-fix.lua) share, loaded with dofile():
-- starts polar-language-server as Neovim 0.7's LSP client over stdio, opens every *.polar file of
-- the current folder, records every publishDiagnostics in arrival order, and writes the script's
-- result to OUT as JSON when it finishes.
local M = {
  raw = {},    -- every publishDiagnostics params, in arrival order
  last_at = 0, -- time of the last publication (ms)
  result = {}, -- what the script records; written by finish()
}

function M.start(server)
  vim.g.do_filetype_lua = 1 -- 0.7: needed for vim.filetype.add
  vim.filetype.add({ extension = { polar = 'polar' } })

  local orig = vim.lsp.handlers['textDocument/publishDiagnostics']
  vim.lsp.handlers['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
    table.insert(M.raw, result)
    M.last_at = vim.loop.now()
    return orig(err, result, ctx, config)
  end

  M.client_id = vim.lsp.start_client({
    name = 'polar',
    cmd = { 'node', server, '--stdio' },
    root_dir = vim.fn.getcwd(),
    on_exit = function(code, signal)
      if code ~= 0 then io.stderr:write(('server exited %s %s\n'):format(code, signal)) end
    end,
  })

  M.files = vim.fn.glob('*.polar', false, true)
  table.sort(M.files)
  for _, f in ipairs(M.files) do
    vim.cmd('edit ' .. vim.fn.fnameescape(f))
    vim.lsp.buf_attach_client(0, M.client_id)
  end
end

function M.uri_of(f) return vim.uri_from_fname(vim.fn.fnamemodify(f, ':p')) end

-- Writes the result (with `err`, if any) to `out` and quits with `status` (0: success).
function M.finish(out, status, err)
  M.result.error = err
  local fh = assert(io.open(out, 'w'))
  fh:write(vim.fn.json_encode(M.result))
  fh:close()
  vim.cmd((status == 0) and 'qall!' or ('cquit ' .. status))
end

-- Calls on_done once `pred` holds and nothing new arrived for 300 ms; after `deadline` (ms, on
-- vim.loop.now()'s clock) gives up through finish(out, 3, …).
function M.settled(out, pred, on_done, deadline)
  local timer = vim.loop.new_timer()
  timer:start(50, 50, vim.schedule_wrap(function()
    if pred() and vim.loop.now() - M.last_at > 300 then
      timer:stop()
      on_done()
    elseif vim.loop.now() > deadline then
      timer:stop()
      M.finish(out, 3, 'timeout waiting for diagnostics')
    end
  end))
end

return M
