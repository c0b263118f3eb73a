// The Cache Map webview. The extension posts rows built by client/src/cacheMapModel.ts; this
// script only draws them, filters them, and posts clicks back. DOM is built with textContent
// only: keys and paths come from the user's code. Live stats arrive in 'live' messages; the
// extension host fetches them, this page makes no network calls.
(function () {
  'use strict';
  const vscode = acquireVsCodeApi();
  const saved = vscode.getState() || {};
  const state = {
    filter: saved.filter || '',
    onlyUncovered: Boolean(saved.onlyUncovered),
    allShared: false,
    view: undefined,
    live: undefined,
  };
  /** Column heads, in the order of the coverage cells (CHANGE_KINDS in cacheMapModel.ts). */
  const CHANGE_LABELS = ['Save', 'Delete', 'M2M', 'Bulk'];
  const STATE_CLASSES = { yes: 'covered', no: 'uncovered', none: 'no-writes', unknown: 'unknown' };
  /** Shared-table chips shown before "N more…", so that a large project's list does not push the map down. */
  const COLLAPSED_SHARED = 8;
  const SVG = 'http://www.w3.org/2000/svg';
  const CHART = { width: 240, height: 40, maxBar: 16 };

  function h(tag, props, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === undefined || value === false) continue;
      if (name === 'className') element.className = value;
      else if (name === 'dataset') Object.assign(element.dataset, value);
      else if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
      else element.setAttribute(name, value === true ? '' : value);
    }
    for (const child of children.flat()) {
      if (child !== undefined && child !== null && child !== false) element.append(child);
    }
    return element;
  }

  function open(target) {
    vscode.postMessage({ type: 'open', target });
  }

  function link(text, title, target, className) {
    return h(
      'a',
      {
        href: '#',
        title,
        className: className ? `link ${className}` : 'link',
        onclick: (event) => {
          event.preventDefault();
          open(target);
        },
      },
      text,
    );
  }

  /** Long keys and paths wrap after their separators (':' in keys, '/' in paths) rather than mid-word. */
  function breakable(text, separator) {
    return text.split(separator).flatMap((part, index) => (index ? [h('wbr'), part] : [part]));
  }

  function clearFilters() {
    uncoveredToggle.checked = state.onlyUncovered = false;
    setFilter('');
  }

  function setFilter(text) {
    filterInput.value = text;
    state.filter = text;
    applyFilter();
    filterInput.focus();
  }

  // --- static frame -----------------------------------------------------------------------
  const filterInput = h('input', {
    type: 'search',
    className: 'filter',
    placeholder: 'Filter by key, model or file',
    'aria-label': 'Filter entries',
    value: state.filter,
    oninput: () => {
      state.filter = filterInput.value;
      applyFilter();
    },
  });
  const uncoveredToggle = h('input', {
    type: 'checkbox',
    id: 'only-uncovered',
    checked: state.onlyUncovered,
    onchange: () => {
      state.onlyUncovered = uncoveredToggle.checked;
      applyFilter();
    },
  });
  const counts = h('span', { className: 'counts', role: 'status' });
  const banner = h('div', { className: 'banner', hidden: true });
  const live = h('section', { className: 'live', hidden: true, 'aria-label': 'Live stats' });
  const shared = h('section', { className: 'shared', hidden: true, 'aria-label': 'Shared tables' });
  const siteCaches = h('section', { className: 'site-caches', hidden: true, 'aria-label': 'Per-site cache' });
  const content = h('main', { className: 'content' }, h('p', { className: 'placeholder' }, 'Loading the cache graph…'));
  const legend = h(
    'div',
    { className: 'legend', 'aria-label': 'Legend' },
    h('span', { className: 'cover covered' }, '✓'),
    ' covered ',
    h('span', { className: 'cover uncovered' }, '✗'),
    ' not covered ',
    h('span', { className: 'cover no-writes' }, '–'),
    ' no such writes ',
    h('span', { className: 'cover unknown' }, '?'),
    ' unknown',
  );

  document.body.append(
    h(
      'header',
      { className: 'toolbar' },
      filterInput,
      h('label', { className: 'toggle', for: 'only-uncovered' }, uncoveredToggle, 'Only uncovered'),
      counts,
      legend,
    ),
    banner,
    live,
    siteCaches,
    shared,
    content,
  );

  // --- rendering --------------------------------------------------------------------------
  function renderShared(view) {
    shared.replaceChildren();
    shared.hidden = view.sharedTables.length === 0;
    if (shared.hidden) return;
    shared.append(
      h(
        'span',
        {
          className: 'shared-title',
          title: 'Models that several cache entries read: one write must invalidate all of them',
        },
        'Shared tables',
      ),
    );
    const shown = state.allShared ? view.sharedTables : view.sharedTables.slice(0, COLLAPSED_SHARED);
    for (const table of shown) {
      const title =
        `${table.model} is read by ${table.entries} entries` +
        (table.uncoveredEntries
          ? `; ${table.uncoveredEntries} of them are not invalidated for some change`
          : '; all are invalidated') +
        '. Click to show them.';
      shared.append(
        h(
          'button',
          { className: 'chip', title, dataset: { model: table.model }, onclick: () => setFilter(table.model) },
          h('span', { className: 'chip-model' }, table.label),
          h('span', { className: 'chip-count' }, `${table.entries} entries`),
          table.uncoveredEntries
            ? h('span', { className: 'chip-uncovered' }, `${table.uncoveredEntries} ✗`)
            : undefined,
        ),
      );
    }
    const hidden = view.sharedTables.length - shown.length;
    if (hidden > 0 || state.allShared) {
      shared.append(
        h(
          'button',
          {
            className: 'more',
            onclick: () => {
              state.allShared = !state.allShared;
              renderShared(view);
              applyFilter();
            },
          },
          hidden > 0 ? `${hidden} more…` : 'fewer',
        ),
      );
    }
  }

  // --- live stats ---------------------------------------------------------------------------
  function familyStats(row) {
    const invalidations = row.invalidations.map((inv) => `${inv.tag} ×${inv.count}`).join(', ');
    return h(
      'div',
      { className: 'family', dataset: { family: row.family } },
      h('code', { className: 'family-name', title: 'stats family: the key with its variable parts as {}' }, row.family),
      h('span', { className: 'stat', title: 'hits' }, h('span', { className: 'stat-hits' }, String(row.hits)), ' hits'),
      h(
        'span',
        { className: 'stat', title: 'misses' },
        h('span', { className: 'stat-misses' }, String(row.misses)),
        ' misses',
      ),
      h('span', { className: 'stat stat-ratio', title: 'hit ratio' }, row.hitRatio),
      row.autoTtl
        ? h('span', { className: 'stat stat-ttl', title: 'current auto TTL (timeout="auto")' }, `TTL ${row.autoTtl}`)
        : undefined,
      invalidations
        ? h(
            'div',
            {
              className: 'stat-invalidations',
              title: 'invalidations by tag (misses whose tag version was out of date)',
            },
            `invalidated: ${invalidations}`,
          )
        : undefined,
    );
  }

  function readsChart(bars) {
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('class', 'chart');
    svg.setAttribute('width', String(CHART.width));
    svg.setAttribute('height', String(CHART.height));
    svg.setAttribute('role', 'img');
    const totals = bars.map((bar) => bar.hits + bar.misses);
    svg.setAttribute('aria-label', `reads per interval: ${totals.join(', ')}`);
    const most = Math.max(1, ...totals);
    // A few refreshes in, bars stay narrow rather than one block filling the chart.
    const step = Math.min(CHART.maxBar, CHART.width / Math.max(bars.length, 1));
    bars.forEach((bar, index) => {
      const x = index * step + 1;
      const width = Math.max(1, step - 2);
      const hitsHeight = (bar.hits / most) * CHART.height;
      const missesHeight = (bar.misses / most) * CHART.height;
      const rect = (className, y, height) => {
        const element = document.createElementNS(SVG, 'rect');
        for (const [name, value] of Object.entries({ class: className, x, y, width, height }))
          element.setAttribute(name, String(value));
        return element;
      };
      const group = document.createElementNS(SVG, 'g');
      const title = document.createElementNS(SVG, 'title');
      title.textContent = `${bar.hits} hits, ${bar.misses} misses in ${bar.seconds} s`;
      group.append(
        title,
        rect('bar-misses', CHART.height - missesHeight, missesHeight),
        rect('bar-hits', CHART.height - missesHeight - hitsHeight, hitsHeight),
      );
      svg.append(group);
    });
    return svg;
  }

  function renderLive() {
    const info = state.live;
    live.hidden = !info;
    if (!info) return;
    live.className = info.connected ? 'live connected' : 'live not-connected';
    const parts = [h('div', { className: 'live-note' }, info.note)];
    if (info.connected) {
      parts.push(
        h(
          'div',
          { className: 'live-summary' },
          h(
            'div',
            { className: 'most-invalidated' },
            h('span', { className: 'live-title' }, `Invalidated most ${info.windowLabel}: `),
            info.mostInvalidated.length
              ? info.mostInvalidated
                  .slice(0, 5)
                  .flatMap((row, index) => [index ? ', ' : '', h('code', {}, row.family), ` ×${row.count}`])
              : 'nothing',
          ),
          h(
            'div',
            { className: 'reads' },
            h('span', { className: 'live-title' }, 'Reads per refresh '),
            info.readsPerInterval.length
              ? readsChart(info.readsPerInterval)
              : h('span', { className: 'muted' }, 'from the next refresh on'),
            h(
              'span',
              { className: 'chart-legend' },
              h('span', { className: 'swatch bar-hits' }),
              'hits ',
              h('span', { className: 'swatch bar-misses' }),
              'misses',
            ),
          ),
        ),
      );
      if (info.unmatched.length) {
        parts.push(
          h(
            'details',
            { className: 'unmatched', open: true },
            h(
              'summary',
              {},
              `${info.unmatched.length} runtime ${info.unmatched.length === 1 ? 'family matches' : 'families match'} no entry on the map`,
            ),
            info.unmatched.map(familyStats),
          ),
        );
      }
    }
    live.replaceChildren(...parts);
    fillLiveCells();
  }

  /** The Runtime column: present while connected, filled per entry from state.live.byEntry. */
  function fillLiveCells() {
    const connected = Boolean(state.live && state.live.connected);
    document.body.classList.toggle('live-on', connected);
    const view = state.view;
    if (!view) return;
    const cells = content.querySelectorAll('td.live-cell');
    view.entries.forEach((entry, index) => {
      const rows = connected ? state.live.byEntry[entry.id] || [] : [];
      cells[index].replaceChildren(
        ...(rows.length ? rows.map(familyStats) : [h('span', { className: 'muted' }, connected ? 'no traffic' : '')]),
      );
    });
  }

  function modelCell(dependency) {
    const isShared = dependency.readers > 1;
    return h(
      'td',
      { className: 'model', dataset: { model: dependency.model } },
      h(
        'button',
        {
          className: 'model-name',
          title: `Show every entry that reads ${dependency.model}`,
          onclick: () => setFilter(dependency.model),
        },
        dependency.model,
      ),
      isShared
        ? h(
            'span',
            { className: 'shared-badge', title: `${dependency.readers} entries read this table` },
            `shared ×${dependency.readers}`,
          )
        : undefined,
      dependency.via
        ? h(
            'div',
            { className: 'via' },
            link(
              dependency.via,
              `Go to the read at ${dependency.read.path}:${dependency.read.line + 1}`,
              dependency.read,
            ),
          )
        : undefined,
    );
  }

  function coverageCells(dependency) {
    return dependency.coverage.map((cell) =>
      h(
        'td',
        { className: `cover ${STATE_CLASSES[cell.state]}`, title: cell.title, 'aria-label': cell.title },
        cell.symbol,
      ),
    );
  }

  function entryBody(entry) {
    const rowspan = entry.dependencies.length > 1 ? String(entry.dependencies.length) : undefined;
    const entryCell = h(
      'td',
      { className: 'entry-cell', rowspan },
      link(breakable(entry.key, /(?<=:)/), `Go to ${entry.location}`, entry.target, 'key-link'),
      h(
        'div',
        { className: 'meta' },
        h('span', { className: 'kind', title: 'kind of cache entry' }, entry.kindLabel),
        h('span', { className: 'alias', title: 'cache alias' }, entry.alias),
        h(
          'span',
          {
            className: entry.timeoutLabel === 'never' ? 'timeout never' : 'timeout',
            title: `timeout: ${entry.timeoutTitle}`,
          },
          entry.timeoutLabel,
        ),
        link(breakable(entry.location, /(?<=\/)/), `Go to ${entry.location}`, entry.target, 'location'),
      ),
      entry.findings.length
        ? h(
            'div',
            { className: 'findings' },
            entry.findings.map((finding) => h('span', { className: 'finding', title: finding.message }, finding.code)),
          )
        : undefined,
    );
    const liveCell = h('td', { className: 'live-cell', rowspan });
    const body = h('tbody', {
      className: entry.uncovered ? 'entry has-uncovered' : 'entry',
      dataset: { key: entry.key },
    });
    if (entry.dependencies.length === 0) {
      body.append(
        h(
          'tr',
          {},
          entryCell,
          h(
            'td',
            { className: 'no-reads', colspan: String(1 + CHANGE_LABELS.length) },
            'reads no model that djcache can see',
          ),
          liveCell,
        ),
      );
      return body;
    }
    entry.dependencies.forEach((dependency, index) => {
      body.append(
        h(
          'tr',
          {},
          index === 0 ? entryCell : undefined,
          modelCell(dependency),
          coverageCells(dependency),
          index === 0 ? liveCell : undefined,
        ),
      );
    });
    return body;
  }

  function render(view) {
    state.view = view;
    banner.hidden = true;
    siteCaches.replaceChildren(...view.siteCaches.map((note) => h('p', {}, link(note.text, note.title, note.target))));
    siteCaches.hidden = view.siteCaches.length === 0;
    renderShared(view);
    if (view.entries.length === 0) {
      content.replaceChildren(
        h(
          'p',
          { className: 'placeholder' },
          'No cache entries found. djcache looks for cache.set/get_or_set/add, @cache_page, {% cache %} fragments and memoize decorators.',
        ),
      );
      counts.textContent = '';
      return;
    }
    const table = h(
      'table',
      { className: 'map' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Cache entry'),
          h('th', { scope: 'col' }, 'Model · how it is read'),
          CHANGE_LABELS.map((label) => h('th', { scope: 'col', className: 'cover-head' }, label)),
          h(
            'th',
            { scope: 'col', className: 'live-head', title: "from the runtime's stats view (djcache.statsUrl)" },
            'Runtime',
          ),
        ),
      ),
      view.entries.map(entryBody),
    );
    const noMatch = h(
      'p',
      { className: 'placeholder no-match', hidden: true },
      'No entry matches the filter. ',
      h('button', { className: 'clear', onclick: clearFilters }, 'Clear the filter'),
    );
    // The map is redrawn after every analysis: keep the reader where they were.
    const scrollTop = content.scrollTop;
    content.replaceChildren(table, noMatch);
    fillLiveCells();
    applyFilter();
    content.scrollTop = scrollTop;
  }

  function applyFilter() {
    vscode.setState({ filter: state.filter, onlyUncovered: state.onlyUncovered });
    const view = state.view;
    if (!view || view.entries.length === 0) return;
    const terms = state.filter.toLowerCase().split(/\s+/).filter(Boolean);
    const bodies = content.querySelectorAll('tbody.entry');
    let shown = 0;
    view.entries.forEach((entry, index) => {
      const visible =
        (!state.onlyUncovered || entry.uncovered) && terms.every((term) => entry.searchText.includes(term));
      bodies[index].hidden = !visible;
      if (visible) shown++;
    });
    content.querySelector('.no-match').hidden = shown > 0;
    const filterModel = state.filter.trim().toLowerCase();
    for (const chip of shared.querySelectorAll('.chip'))
      chip.classList.toggle('active', chip.dataset.model.toLowerCase() === filterModel);
    content.querySelector('table').hidden = shown === 0;
    const total = view.entries.length;
    const parts = [
      shown === total ? `${total} ${total === 1 ? 'entry' : 'entries'}` : `${shown} of ${total} entries`,
      `${view.uncoveredCount} uncovered`,
      `${view.modelCount} ${view.modelCount === 1 ? 'model' : 'models'}`,
    ];
    counts.textContent = parts.join(' · ');
  }

  function showBanner(text, kind) {
    banner.className = `banner ${kind}`;
    banner.textContent = text;
    banner.hidden = false;
  }

  // Shared tables: hovering one model cell lights up every cell of the same model.
  let litModel;
  content.addEventListener('mouseover', (event) => {
    const cell = event.target.closest('td.model');
    const model = cell ? cell.dataset.model : undefined;
    if (model === litModel) return;
    litModel = model;
    for (const other of content.querySelectorAll('td.model'))
      other.classList.toggle('lit', other.dataset.model === model);
  });

  window.addEventListener('message', (event) => {
    const message = event.data;
    if (message.type === 'view') render(message.view);
    else if (message.type === 'live') {
      state.live = message.live;
      renderLive();
    } else if (message.type === 'status')
      showBanner(`${message.text} — the map refreshes when the server is ready.`, 'busy');
    else if (message.type === 'error') showBanner(message.message, 'error');
  });

  vscode.postMessage({ type: 'ready' });
})();
