;;; eglot.el --- Emacs 28 + eglot 1.9 as the LSP client of polar-language-server  -*- lexical-binding: t -*-
;; Run from the policy folder:  OUT=result.json SERVER=dist/main.js emacs -Q --batch -l eglot.el
;; Visits every *.polar file of the folder, waits until the server has published for all of them,
;; records what arrived (raw notifications and flymake's diagnostics), asks for a completion and a
;; rename, edits main.polar, records again, then formats two buffers (eglot-format-buffer).
(dolist (d (file-expand-wildcards "/usr/share/emacs/site-lisp/elpa/*"))
  (add-to-list 'load-path d))
(require 'cl-lib)
(require 'json)
(require 'eglot)
(require 'flymake)

(defvar polar-out (getenv "OUT"))
(defvar polar-server (getenv "SERVER"))
(defvar polar-edit-line (or (getenv "EDIT_LINE") "broken("))
(defvar polar-raw nil "Every publishDiagnostics params, newest first.")
(defvar polar-last-at 0.0)

(define-derived-mode polar-mode prog-mode "Polar")
(add-to-list 'auto-mode-alist '("\\.polar\\'" . polar-mode))
(add-to-list 'eglot-server-programs `(polar-mode . ("node" ,polar-server "--stdio")))
(setq eglot-sync-connect t
      eglot-send-changes-idle-time 0.1)

(cl-defmethod eglot-handle-notification :before
  (_server (_method (eql textDocument/publishDiagnostics)) &key uri version diagnostics &allow-other-keys)
  (push (list (cons 'uri uri) (cons 'version version) (cons 'diagnostics diagnostics)) polar-raw)
  (setq polar-last-at (float-time)))

(defun polar-shown ()
  "Flymake's diagnostics in every Polar buffer."
  ;; Flymake defers its start until a buffer is displayed, which never happens in --batch: start it.
  (dolist (buf (buffer-list))
    (with-current-buffer buf
      (when (derived-mode-p 'polar-mode) (flymake-start nil t))))
  (let ((until (+ (float-time) 0.5)))
    (while (< (float-time) until) (accept-process-output nil 0.05)))
  (cl-loop for buf in (buffer-list)
           when (with-current-buffer buf (derived-mode-p 'polar-mode))
           append (with-current-buffer buf
                    (mapcar (lambda (d)
                              (list (cons 'file (buffer-file-name))
                                    (cons 'line (line-number-at-pos (flymake-diagnostic-beg d)))
                                    (cons 'type (format "%s" (flymake-diagnostic-type d)))
                                    (cons 'text (flymake-diagnostic-text d))))
                            (flymake-diagnostics)))))

(defun polar-published-p (uri)
  (cl-find-if (lambda (p) (equal (cdr (assq 'uri p)) uri)) polar-raw))

(defun polar-finish (code result)
  (with-temp-file polar-out (insert (json-encode result)))
  (kill-emacs code))

(defun polar-wait (pred seconds)
  "Wait until PRED holds and no publication arrived for 0.3 s; nil on timeout."
  (let ((deadline (+ (float-time) seconds)) ok)
    (while (and (not (setq ok (and (funcall pred) (> (- (float-time) polar-last-at) 0.3))))
                (< (float-time) deadline))
      (accept-process-output nil 0.05))
    ok))

(let* ((files (sort (file-expand-wildcards "*.polar" t) #'string<))
       (uris (mapcar (lambda (f) (concat "file://" f)) files))
       (result (list (cons 'files (vconcat uris)))))
  (dolist (f files) (find-file f))
  ;; eglot-ensure waits for post-command-hook, which never runs in --batch: start eglot directly.
  ;; Buffers of the same project visited before are managed too.
  (with-current-buffer (get-file-buffer (car files))
    (apply #'eglot (eglot--guess-contact)))
  (dolist (f files)
    (with-current-buffer (get-file-buffer f)
      (unless (eglot-managed-p) (eglot--maybe-activate-editing-mode))))
  (polar-wait (lambda () (cl-every #'polar-published-p uris)) 20)
  (unless (cl-every #'polar-published-p uris)
    (polar-finish 3 (append result (list (cons 'error "timeout waiting for diagnostics")
                                         (cons 'raw (vconcat (reverse polar-raw)))))))
  (push (cons 'opened (list (cons 'raw (vconcat (reverse polar-raw))) (cons 'shown (vconcat (polar-shown))))) result)
  ;; Completion in a shorthand rule's head string, and a rename of a rule defined in another file.
  (with-current-buffer (get-file-buffer (cl-find-if (lambda (f) (string-suffix-p "/main.polar" f)) files))
    (let* ((server (eglot-current-server))
           (doc (list :uri (concat "file://" (buffer-file-name))))
           (items (progn (goto-char (point-min)) (search-forward "\"read\" if") (backward-char 7)
                         (jsonrpc-request server :textDocument/completion
                                          (list :textDocument doc :position (eglot--pos-to-lsp-position)))))
           (labels (mapcar (lambda (i) (plist-get i :label))
                           (if (vectorp items) items (plist-get items :items))))
           (edit (progn (goto-char (point-min)) (search-forward "user_role(") (backward-char 9)
                        (jsonrpc-request server :textDocument/rename
                                         (list :textDocument doc :position (eglot--pos-to-lsp-position)
                                               :newName "member_role"))))
           (changes (cl-loop for (uri edits) on (plist-get edit :changes) by #'cddr
                             collect (cons (substring (symbol-name uri) 1) (length edits)))))
      (push (cons 'completion (vconcat labels)) result)
      (push (cons 'rename changes) result)))
  (let ((count (length polar-raw)))
    (with-current-buffer (get-file-buffer (cl-find-if (lambda (f) (string-suffix-p "/main.polar" f)) files))
      (goto-char (point-max))
      (insert "\n" polar-edit-line)
      ;; eglot sends changes from an idle timer, and Emacs is never idle in --batch: send them now.
      (eglot--signal-textDocument/didChange))
    (unless (polar-wait (lambda () (> (length polar-raw) count)) 15)
      (polar-finish 4 (append result (list (cons 'error "timeout waiting for diagnostics after the edit"))))))
  (push (cons 'edited (list (cons 'raw (vconcat (reverse polar-raw))) (cons 'shown (vconcat (polar-shown))))) result)
  ;; Format Document: roles.polar is not formatted; main.polar now has a syntax error (no edits).
  (push (cons 'formatted
              (cl-loop for name in '("roles.polar" "main.polar")
                       collect (with-current-buffer
                                   (get-file-buffer (cl-find-if (lambda (f) (string-suffix-p (concat "/" name) f)) files))
                                 (eglot-format-buffer)
                                 (cons name (buffer-substring-no-properties (point-min) (point-max))))))
        result)
  (polar-finish 0 result))
