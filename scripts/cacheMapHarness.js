#!/usr/bin/env node
// Renders the Cache Map webview outside VS Code, for looking at it: builds the view from a real
// `djcache graph` + `djcache check` run, loads media/cacheMap.{css,js} in a page that stands in
// for the webview host (theme variables, acquireVsCodeApi), and screenshots it with headless
// Chromium. Not shipped. Needs `npm run build` first (for bin/djcache.js) and Debian's chromium.
//
//   node scripts/cacheMapHarness.js [project-dir…] [--theme dark|light] [--filter TEXT]
//        [--only-uncovered] [--size 1400x900] [--out /tmp/cache-map.png]
//        [--stats URL [--stats-history samples.json]] [--dom /tmp/cache-map.html]
// Several project dirs make a multi-root workspace (e.g. test/fixtures/* for a long map).
// --stats reads a running runtime's stats view as the extension host does (token from
// $DJCACHE_STATS_TOKEN); --stats-history adds earlier samples (a JSON StatsSample[]) before it, for
// the window and the chart. --dom also saves the rendered page, for tests to read the numbers.
const { execFileSync, spawnSync } = require('child_process');
const esbuild = require('esbuild');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { pathToFileURL } = require('url');

const root = path.join(__dirname, '..');

/** VS Code's Dark Modern and Light Modern values for the variables the stylesheet uses. */
const THEMES = {
  dark: {
    foreground: '#cccccc',
    'editor-background': '#1f1f1f',
    descriptionForeground: '#9d9d9d',
    'panel-border': '#2b2b2b',
    'widget-border': '#313131',
    'input-background': '#313131',
    'input-foreground': '#cccccc',
    'input-border': '#3c3c3c',
    'input-placeholderForeground': '#989898',
    focusBorder: '#0078d4',
    'textLink-foreground': '#4daafc',
    'textLink-activeForeground': '#4daafc',
    errorForeground: '#f85149',
    'testing-iconPassed': '#73c991',
    'editorWarning-foreground': '#cca700',
    'charts-purple': '#b180d7',
    'list-hoverBackground': '#2a2d2e',
    'badge-background': '#616161',
    'badge-foreground': '#f8f8f8',
    'textBlockQuote-background': '#2b2b2b',
    'inputValidation-errorBackground': '#5a1d1d',
    'button-background': '#0078d4',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#026ec1',
  },
  light: {
    foreground: '#3b3b3b',
    'editor-background': '#ffffff',
    descriptionForeground: '#717171',
    'panel-border': '#e5e5e5',
    'widget-border': '#e5e5e5',
    'input-background': '#ffffff',
    'input-foreground': '#3b3b3b',
    'input-border': '#cecece',
    'input-placeholderForeground': '#767676',
    focusBorder: '#005fb8',
    'textLink-foreground': '#005fb8',
    'textLink-activeForeground': '#005fb8',
    errorForeground: '#f85149',
    'testing-iconPassed': '#388a34',
    'editorWarning-foreground': '#bf8803',
    'charts-purple': '#652d90',
    'list-hoverBackground': '#f2f2f2',
    'badge-background': '#cccccc',
    'badge-foreground': '#3b3b3b',
    'textBlockQuote-background': '#f8f8f8',
    'inputValidation-errorBackground': '#f2dede',
    'button-background': '#005fb8',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#0258a8',
  },
};

function parseArgs(argv) {
  const options = {
    projects: [],
    theme: 'dark',
    filter: '',
    onlyUncovered: false,
    size: '1400,900',
    out: '/tmp/cache-map.png',
    stats: undefined,
    statsHistory: undefined,
    dom: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--theme') options.theme = argv[++i];
    else if (arg === '--filter') options.filter = argv[++i];
    else if (arg === '--only-uncovered') options.onlyUncovered = true;
    else if (arg === '--size') options.size = argv[++i].replace('x', ',');
    else if (arg === '--out') options.out = path.resolve(argv[++i]);
    else if (arg === '--stats') options.stats = argv[++i];
    else if (arg === '--stats-history') options.statsHistory = path.resolve(argv[++i]);
    else if (arg === '--dom') options.dom = path.resolve(argv[++i]);
    else options.projects.push(arg);
  }
  if (options.projects.length === 0) options.projects.push('examples/shop');
  if (!THEMES[options.theme]) throw new Error(`--theme must be one of ${Object.keys(THEMES).join(', ')}`);
  return options;
}

function djcache(...args) {
  return JSON.parse(
    execFileSync(process.execPath, [path.join(root, 'bin/djcache.js'), ...args], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    }),
  );
}

/** The GraphFolder the server would answer for one workspace folder. */
function graphFolder(project) {
  const graph = djcache('graph', project, '--format', 'json');
  const check = djcache('check', project, '--format', 'json', '--exit-zero');
  const findings = check.findings.map((finding) => ({
    code: finding.code,
    path: finding.path,
    line: finding.start.line,
    message: finding.message,
    entryId: finding.data.entryId,
    model: finding.data.model,
  }));
  return { uri: pathToFileURL(path.resolve(project)).href, name: path.basename(project), graph, findings };
}

function loadClientModule(workDir, name) {
  const outfile = path.join(workDir, `${name}.js`);
  esbuild.buildSync({
    entryPoints: [path.join(root, `client/src/${name}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    logLevel: 'warning',
  });
  return require(outfile);
}

/** The 'live' message CacheMapPanel would post after reading the stats view once more. */
async function liveStats(options, view, model, workDir) {
  const { fetchRuntimeStats } = loadClientModule(workDir, 'statsClient');
  const history = options.statsHistory ? JSON.parse(fs.readFileSync(options.statsHistory, 'utf8')) : [];
  const entries = view.entries.map((entry) => ({ id: entry.id, key: entry.key }));
  try {
    const families = await fetchRuntimeStats(options.stats, process.env.DJCACHE_STATS_TOKEN);
    return model.buildLiveStatsView(
      [...history, { receivedAt: Date.now(), families }],
      entries,
      options.stats,
      model.LIVE_WINDOW_SECONDS,
    );
  } catch (error) {
    return model.notConnectedView(`Live stats: ${error.message}`);
  }
}

function page(view, live, options) {
  const variables = Object.entries(THEMES[options.theme])
    .map(([name, value]) => `--vscode-${name}: ${value};`)
    .join(' ');
  const host = {
    view,
    live,
    state: { filter: options.filter, onlyUncovered: options.onlyUncovered },
  };
  const media = (name) => pathToFileURL(path.join(root, 'media', name)).href;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<style>:root { ${variables} --vscode-font-family: system-ui, 'DejaVu Sans', sans-serif; --vscode-font-size: 13px; --vscode-editor-font-family: 'DejaVu Sans Mono', monospace; }</style>
<link rel="stylesheet" href="${media('cacheMap.css')}">
<script>
  // Stands in for the webview host: answers 'ready' with the view, as CacheMapPanel does.
  const host = ${JSON.stringify(host)};
  window.acquireVsCodeApi = () => ({
    getState: () => host.state,
    setState: (state) => { host.state = state; },
    postMessage: (message) => {
      if (message.type !== 'ready') console.log('posted', JSON.stringify(message));
      else setTimeout(() => {
        window.postMessage({ type: 'view', view: host.view }, '*');
        if (host.live) window.postMessage({ type: 'live', live: host.live }, '*');
      });
    },
  });
</script>
</head>
<body class="vscode-${options.theme}">
<script src="${media('cacheMap.js')}"></script>
</body>
</html>`;
}

/** Headless Chromium on the page; the virtual time budget lets the host's setTimeout post the view first. */
function chromium(html, options, output) {
  const run = spawnSync(
    'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--hide-scrollbars',
      '--allow-file-access-from-files',
      '--enable-logging=stderr',
      '--virtual-time-budget=2000',
      `--window-size=${options.size}`,
      ...output,
      pathToFileURL(html).href,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  // Script errors in the page would otherwise only show as a half-drawn screenshot.
  const pageErrors = run.stderr.split('\n').filter((line) => /CONSOLE|Uncaught/.test(line));
  if (pageErrors.length) console.error(pageErrors.join('\n'));
  return run.stdout;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cache-map-'));
  const model = loadClientModule(workDir, 'cacheMapModel');
  const view = model.buildCacheMapView({ folders: options.projects.map(graphFolder) });
  const live = options.stats ? await liveStats(options, view, model, workDir) : undefined;
  const html = path.join(workDir, 'index.html');
  fs.writeFileSync(html, page(view, live, options));
  chromium(html, options, [`--screenshot=${options.out}`]);
  if (options.dom) fs.writeFileSync(options.dom, chromium(html, options, ['--dump-dom']));
  fs.rmSync(workDir, { recursive: true, force: true });
  console.log(
    `${options.out}: ${view.entries.length} entries, ${view.uncoveredCount} uncovered, ${view.sharedTables.length} shared tables` +
      (live ? `; ${live.note}` : ''),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
