/*
 * The editor scenarios of test/e2e/codeServer.e2e.js through the VS Code API. Runs inside the
 * extension host: desktop VS Code through @vscode/test-electron (test/e2e/electron/run.js), and any
 * VS Code that takes --extensionTestsPath. Writes its results as JSON to $DJCACHE_E2E_RESULTS
 * (default: electron-results.json beside the workspace folder) and fails if any scenario failed.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const vscode = require('vscode');
const common = require('../common');

const { FILE, LINE, KEY, EXPECTED_COUNTS, FIX_TITLE, CACHE_MAP_TITLE } = common;

/** common.until with this suite's bound (90 s) and poll interval (200 ms). */
const until = (what, probe, ms = 90_000) => common.until(what, probe, ms, 200);

function codeOf(d) {
  return typeof d.code === 'object' && d.code ? String(d.code.value) : String(d.code);
}

function counts() {
  const c = { errors: 0, warnings: 0, infos: 0 };
  for (const [, diags] of vscode.languages.getDiagnostics()) {
    for (const d of diags) {
      if (d.severity === vscode.DiagnosticSeverity.Error) c.errors++;
      else if (d.severity === vscode.DiagnosticSeverity.Warning) c.warnings++;
      else if (d.severity === vscode.DiagnosticSeverity.Information) c.infos++;
    }
  }
  return c;
}

const same = (a, b) => a.errors === b.errors && a.warnings === b.warnings && a.infos === b.infos;

function finding(uri) {
  return vscode.languages.getDiagnostics(uri).find((d) => d.range.start.line === LINE - 1 && codeOf(d) === 'DJC102');
}

function hoverText(hovers) {
  return (hovers || [])
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n');
}

exports.run = async function run() {
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  if (!folder) throw new Error('no workspace folder: open a copy of examples/shop');
  const root = folder.uri.fsPath;
  const resultsFile = process.env.DJCACHE_E2E_RESULTS || path.join(path.dirname(root), 'electron-results.json');
  const uri = vscode.Uri.file(path.join(root, FILE));
  const signalsPath = path.join(root, 'catalog', 'signals.py');
  const signalsBefore = fs.readFileSync(signalsPath, 'utf8');
  const results = [];
  let baseline;

  async function scenario(name, fn) {
    const t0 = Date.now();
    try {
      const detail = await fn();
      results.push({ name, ok: true, ms: Date.now() - t0, detail });
    } catch (e) {
      results.push({ name, ok: false, ms: Date.now() - t0, error: String((e && e.stack) || e) });
    }
    fs.writeFileSync(resultsFile, JSON.stringify(results, null, 2));
  }

  await scenario(`opens ${FILE}; DJC102 at line ${LINE} and the Problems counts match EXPECTED.md`, async () => {
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const d = await until(`DJC102 at ${FILE}:${LINE}`, () => finding(uri));
    if (d.severity !== vscode.DiagnosticSeverity.Warning) throw new Error(`DJC102 at line ${LINE} is not a warning`);
    let last;
    await until(`counts ${JSON.stringify(EXPECTED_COUNTS)}`, () => same((last = counts()), EXPECTED_COUNTS)).catch(
      (e) => {
        throw new Error(`${e.message}; last seen ${JSON.stringify(last)}`);
      },
    );
    baseline = last;
    return last;
  });

  await scenario(`hover on '${KEY}' lists the models it depends on`, async () => {
    const doc = await vscode.workspace.openTextDocument(uri);
    const col = doc.lineAt(LINE - 1).text.indexOf(`"${KEY}"`) + 2;
    if (col < 2) throw new Error(`"${KEY}" is not on line ${LINE}`);
    let text = '';
    await until(
      'a hover with the dependency list',
      async () => {
        text = hoverText(
          await vscode.commands.executeCommand('vscode.executeHoverProvider', uri, new vscode.Position(LINE - 1, col)),
        );
        return ['Depends on', 'catalog.Product', 'catalog.Category'].every((w) => text.includes(w));
      },
      60_000,
    ).catch((e) => {
      throw new Error(`${e.message}; hover: ${JSON.stringify(text.slice(0, 800))}`);
    });
    return text
      .split('\n')
      .filter((l) => l.includes('catalog.'))
      .slice(0, 3)
      .join(' | ');
  });

  await scenario(`quick fix "Invalidate '${KEY}' when Product changes" removes the finding`, async () => {
    const d = finding(uri);
    if (!d) throw new Error('no finding to fix');
    const actions = await vscode.commands.executeCommand(
      'vscode.executeCodeActionProvider',
      uri,
      d.range,
      vscode.CodeActionKind.QuickFix.value,
      20,
    );
    const action = (actions || []).find((a) => FIX_TITLE.test(a.title));
    if (!action) throw new Error(`not offered; offered: ${JSON.stringify((actions || []).map((a) => a.title))}`);
    if (action.edit && !(await vscode.workspace.applyEdit(action.edit))) throw new Error('applyEdit refused the edit');
    if (action.command)
      await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments || []));
    await vscode.workspace.saveAll(false);
    await until(
      'the receiver in catalog/signals.py on disk',
      () => {
        const now = fs.readFileSync(signalsPath, 'utf8');
        return now !== signalsBefore && now.includes(KEY);
      },
      30_000,
    );
    await until(`DJC102 at line ${LINE} to go`, () => !finding(uri));
    const want = { ...baseline, warnings: baseline.warnings - 1 };
    let last;
    await until(`counts ${JSON.stringify(want)}`, () => same((last = counts()), want)).catch((e) => {
      throw new Error(`${e.message}; last seen ${JSON.stringify(last)}`);
    });
    return last;
  });

  await scenario('"djcache: Show Cache Map" opens the map', async () => {
    await vscode.commands.executeCommand('djcache.showCacheMap');
    await until(
      `a "${CACHE_MAP_TITLE}" webview tab`,
      () =>
        vscode.window.tabGroups.all
          .flatMap((g) => g.tabs)
          .some((t) => t.label === CACHE_MAP_TITLE && t.input instanceof vscode.TabInputWebview),
      60_000,
    );
  });

  const failed = results.filter((r) => !r.ok);
  if (failed.length)
    throw new Error(`${failed.length} of ${results.length} scenarios failed: ${failed.map((r) => r.name).join('; ')}`);
};
