#!/usr/bin/env node
// The real-world yardstick: runs the built CLI on the pinned commits of test/realworld/projects.json,
// matches each finding against the judged labels and evaluates the mined stale-cache bugs.
//
//   npm run realworld -- <mirrors dir> [--project NAME] [--json] [--data DIR]
//
// <mirrors dir> holds bare git directories as <owner>+<name>/repo (what the fetch tool leaves).
// --data names the folder of projects.json, labels.json and bugs.tsv (default test/realworld).
// A project is { name, repo: "owner/name", commit, exclude?: [paths the snapshot lacks], root?: subfolder
// to analyse }; finding paths stay relative to the repository root either way, so labels and bugs.tsv
// do not depend on the root chosen.
// Exit code: 0 whatever the precision; 1 on a tool error (a commit that cannot be extracted, a CLI
// crash, unreadable labels); 2 on bad usage.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const REPO = path.resolve(__dirname, '..');
const DEFAULT_DATA = path.join(REPO, 'test', 'realworld');
const CLI = path.join(REPO, 'bin', 'djcache.js');
const VERDICTS = ['TP', 'FP', 'debatable'];
const MAX_OUTPUT = 512 * 1024 * 1024;

function usage(message) {
  process.stderr.write(
    `${message}\nusage: npm run realworld -- <mirrors dir> [--project NAME] [--json] [--data DIR]\n`,
  );
  process.exit(2);
}

function parseArgs(argv) {
  const options = { mirrors: null, project: null, json: false, data: DEFAULT_DATA };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') options.json = true;
    else if (arg === '--project') {
      options.project = argv[++i];
      if (!options.project) usage('--project needs a name');
    } else if (arg === '--data') {
      if (!argv[i + 1]) usage('--data needs a folder');
      options.data = path.resolve(argv[++i]);
    } else if (arg.startsWith('--')) usage(`unknown option ${arg}`);
    else if (options.mirrors === null) options.mirrors = path.resolve(arg);
    else usage(`unexpected argument ${arg}`);
  }
  if (options.mirrors === null) usage('missing the mirrors directory');
  return options;
}

function readJson(file, fallback) {
  if (!fs.existsSync(file)) return fallback;
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Rows of bugs.tsv as objects; blank lines and a header-only file give none. */
function readBugs(file) {
  if (!fs.existsSync(file)) return [];
  const lines = fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '');
  if (lines.length === 0) return [];
  const header = lines[0].split('\t');
  const required = ['project', 'fix_commit', 'parent_commit', 'must_name', 'file', 'summary'];
  for (const column of required) {
    if (!header.includes(column)) throw new Error(`bugs.tsv: header lacks the column ${column}`);
  }
  return lines.slice(1).map((line, i) => {
    const cells = line.split('\t');
    const row = { line: i + 2 };
    header.forEach((column, c) => {
      row[column] = (cells[c] ?? '').trim();
    });
    return row;
  });
}

/**
 * A finding's identity in labels.json: its place, rule, entry key and the model it is about (one entry
 * gets a finding per model), so it survives message rewording but not moving the entry.
 */
function identity(project, finding) {
  return [project, finding.path, finding.line, finding.code, finding.key, finding.model ?? ''].join('\u0000');
}

function gitDir(mirrors, repo) {
  return path.join(mirrors, repo.replace('/', '+'), 'repo');
}

/** Paths of the commit's tree whose blobs the snapshot lacks (git archive fails on them). */
function missingBlobs(git, commit) {
  const tree = execFileSync('git', ['--git-dir', git, 'ls-tree', '-r', '-z', commit], { maxBuffer: MAX_OUTPUT })
    .toString('utf8')
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta, file] = line.split('\t');
      const [, type, sha] = meta.split(' ');
      return { type, sha, file };
    })
    .filter((item) => item.type === 'blob');
  const present = execFileSync('git', ['--git-dir', git, 'cat-file', '--batch-check'], {
    input: tree.map((item) => item.sha).join('\n') + '\n',
    maxBuffer: MAX_OUTPUT,
  })
    .toString('utf8')
    .split('\n');
  const missing = new Set(present.filter((line) => line.endsWith(' missing')).map((line) => line.split(' ')[0]));
  return tree.filter((item) => missing.has(item.sha)).map((item) => item.file);
}

/** Extracts `commit` into a fresh temporary folder; returns it and the paths left out. */
function extract(git, commit, excludes) {
  const absent = missingBlobs(git, commit);
  const leftOut = [...new Set([...(excludes ?? []), ...absent])];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djcache-rw-'));
  const tarball = `${dir}.tar`;
  try {
    execFileSync(
      'git',
      [
        '--git-dir',
        git,
        'archive',
        '--format=tar',
        '-o',
        tarball,
        commit,
        '--',
        '.',
        ...leftOut.map((p) => `:(exclude,literal)${p}`),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    execFileSync('tar', ['-xf', tarball, '-C', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  } finally {
    fs.rmSync(tarball, { force: true });
  }
  return { dir, unexpected: absent.filter((p) => !(excludes ?? []).includes(p)) };
}

function runCli(args) {
  return JSON.parse(
    execFileSync(process.execPath, [CLI, ...args], {
      maxBuffer: MAX_OUTPUT,
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString('utf8'),
  );
}

/** Python and HTML files outside migrations, with their line count: a rough measure of size. */
function countSource(dir) {
  let files = 0;
  let lines = 0;
  const walk = (folder) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== '.git' && entry.name !== 'migrations') walk(full);
      } else if (entry.isFile() && /\.(py|html)$/.test(entry.name)) {
        files++;
        const text = fs.readFileSync(full, 'utf8');
        lines += text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
      }
    }
  };
  walk(dir);
  return { files, lines };
}

/** Runs the CLI on one commit of a project; findings carry repo-relative paths. */
function analyse(mirrors, project, commit, withStats) {
  const git = gitDir(mirrors, project.repo);
  const { dir, unexpected } = extract(git, commit, project.exclude);
  try {
    const root = project.root ? path.join(dir, project.root) : dir;
    const prefix = project.root ? project.root.replace(/\/+$/, '') + '/' : '';
    const report = runCli(['check', root, '--format', 'json', '--exit-zero', '--no-cache']);
    const findings = report.findings.map((f) => ({
      path: prefix + f.path,
      line: f.start.line,
      code: f.code,
      severity: f.severity,
      key: f.data && typeof f.data.key === 'string' ? f.data.key : '',
      model: f.data && typeof f.data.model === 'string' ? f.data.model : '',
      models: f.data && Array.isArray(f.data.models) ? f.data.models : [],
      entryPaths: entryPaths(f.data, prefix),
      writes: staleWrites(f, prefix),
      message: f.message,
    }));
    const result = { findings, leftOut: unexpected };
    if (withStats) {
      result.entries = runCli(['graph', root, '--format', 'json', '--no-cache']).entries.length;
      Object.assign(result, countSource(root));
    }
    return result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The files of the cache entries a finding is about: its own entry (`entryId`), or the entries a
 * write leaves stale (DJC103 `entries`, reported at the write). Entry ids are `path:line:column`, and a
 * cacheops query cache's `settings path:line:column:app.Model`.
 */
function entryPaths(data, prefix) {
  if (!data) return [];
  const ids = [
    ...(typeof data.entryId === 'string' ? [data.entryId] : []),
    ...(Array.isArray(data.entries) ? data.entries : []),
  ];
  return [
    ...new Set(ids.filter((id) => typeof id === 'string').map((id) => prefix + id.replace(/:\d+:\d+(:[^/]*)?$/, ''))),
  ];
}

/**
 * The writes a finding says leave its entries stale, by file and function rather than line (lines
 * move between a bug's parent and fix): `path:function (how)`, the same for every rule (a DJC103
 * lists the one write it is reported at).
 */
function staleWrites(f, prefix) {
  const writes = f.data && Array.isArray(f.data.writes) ? f.data.writes : [];
  return writes.map((w) => ({
    model: w.model,
    at: `${prefix}${w.at.replace(/:\d+$/, '')}${w.fn ? `:${w.fn}` : ''} (${w.how}, ${w.kind})`,
  }));
}

/**
 * What a finding claims, one line per stale write: which model, in which entries' files, is left
 * stale by which write. A finding without writes (a key mismatch, a delete that matches nothing)
 * claims itself. Rule codes are left out on purpose: the same stale write reported by another rule
 * on the fix is the same claim.
 */
function claims(finding, model) {
  const where = finding.entryPaths.length ? finding.entryPaths.join(', ') : finding.path;
  if (!finding.writes.length) {
    const models = (finding.models.length ? finding.models : [finding.model]).filter(Boolean).sort().join(', ');
    return [`${finding.code} ${JSON.stringify(finding.key)} ${models} at ${finding.path}`];
  }
  return finding.writes
    .filter((w) => !model || w.model === model)
    .map((w) => `${w.model} in ${where}, written at ${w.at}`);
}

/** The parent's claims about the bug: those of the findings naming it, only of its model when it names one. */
function bugClaims(findings, bug) {
  const model = MODEL_LABEL.test(bug.must_name) ? bug.must_name : undefined;
  return [...new Set(findings.flatMap((f) => claims(f, model)))];
}

/** `app.Model`: a model label, which names that model only (`safe_apps.Tag` is not `safe_apps.Tag_safe_apps`). */
const MODEL_LABEL = /^[A-Za-z_][A-Za-z0-9_]*\.[A-Z][A-Za-z0-9_]*$/;

/**
 * Does a finding name the bug, in its file if given (where the finding is, or where an entry it is
 * about is: a DJC103 is reported at the write that leaves the bug's entry stale)? A model label
 * must be the finding's model (or one of its models) exactly; other text may appear anywhere in its
 * key, models or message.
 */
function namesBug(finding, bug) {
  if (bug.file && finding.path !== bug.file && !finding.entryPaths.includes(bug.file)) return false;
  const needle = bug.must_name;
  if (MODEL_LABEL.test(needle)) {
    return finding.model === needle || finding.models.includes(needle);
  }
  return (
    finding.key.includes(needle) ||
    finding.model.includes(needle) ||
    finding.models.some((m) => m.includes(needle)) ||
    finding.message.includes(needle)
  );
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  let projects = readJson(path.join(options.data, 'projects.json'), []);
  const labels = readJson(path.join(options.data, 'labels.json'), []);
  const bugs = readBugs(path.join(options.data, 'bugs.tsv'));
  if (options.project) {
    projects = projects.filter((p) => p.name === options.project);
    if (projects.length === 0) usage(`no project named ${options.project} in projects.json`);
  }
  const judged = new Map();
  for (const label of labels) {
    if (!VERDICTS.includes(label.verdict))
      throw new Error(`labels.json: bad verdict ${label.verdict} for ${label.project} ${label.path}:${label.line}`);
    judged.set(identity(label.project, label), label);
  }

  const errors = [];
  const outputs = new Map(); // project + commit → analysis, so a commit shared by bugs runs once
  const analysed = (project, commit, withStats = false) => {
    const id = `${project.name}@${commit}`;
    if (!outputs.has(id) || (withStats && outputs.get(id).entries === undefined)) {
      outputs.set(id, analyse(options.mirrors, project, commit, withStats));
    }
    return outputs.get(id);
  };

  const results = [];
  for (const project of projects) {
    const result = {
      name: project.name,
      repo: project.repo,
      commit: project.commit,
      findings: [],
      TP: 0,
      FP: 0,
      debatable: 0,
      unjudged: [],
      bugs: [],
    };
    results.push(result);
    try {
      const run = analysed(project, project.commit, true);
      Object.assign(result, { files: run.files, lines: run.lines, entries: run.entries, leftOut: run.leftOut });
      for (const finding of run.findings) {
        const label = judged.get(identity(project.name, finding));
        result.findings.push({
          ...finding,
          verdict: label ? label.verdict : null,
          reason: label ? label.reason : null,
        });
        if (label) result[label.verdict]++;
        else result.unjudged.push(finding);
      }
    } catch (error) {
      errors.push(`${project.name}@${project.commit}: ${error.message.split('\n')[0]}`);
      result.error = error.message.split('\n')[0];
    }
    for (const bug of bugs.filter((b) => b.project === project.name)) {
      const outcome = { ...bug, found: false };
      try {
        const flagged = analysed(project, bug.parent_commit).findings.filter((f) => namesBug(f, bug));
        const onFix = flagged.length ? analysed(project, bug.fix_commit).findings : [];
        const remaining = onFix.filter((f) => namesBug(f, bug));
        // Found: the fix resolves something the parent's findings said about the bug, whatever else
        // stays true on the fix (other writes of the same model are often still uncovered there).
        // A claim any finding still makes on the fix is kept, whatever that finding names.
        const kept = new Set(onFix.flatMap((f) => claims(f)));
        outcome.resolved = bugClaims(flagged, bug)
          .filter((c) => !kept.has(c))
          .sort();
        outcome.found = outcome.resolved.length > 0;
        outcome.foundStrictly = flagged.length > 0 && remaining.length === 0;
        outcome.flaggedOnParent = flagged.length;
        outcome.remainingOnFix = remaining.length;
      } catch (error) {
        errors.push(`bugs.tsv line ${bug.line} (${project.name} ${bug.fix_commit}): ${error.message.split('\n')[0]}`);
        outcome.error = error.message.split('\n')[0];
      }
      result.bugs.push(outcome);
    }
  }
  const known = new Set(projects.map((p) => p.name));
  for (const bug of bugs) {
    if (!options.project && !known.has(bug.project))
      errors.push(`bugs.tsv line ${bug.line}: unknown project ${bug.project}`);
  }

  const total = (field) => results.reduce((sum, r) => sum + r[field], 0);
  const tp = total('TP');
  const fp = total('FP');
  const bugRows = results.flatMap((r) => r.bugs);
  const found = bugRows.filter((b) => b.found).length;
  const foundStrictly = bugRows.filter((b) => b.foundStrictly).length;
  const precision = tp + fp === 0 ? 0 : (100 * tp) / (tp + fp); // no judged finding proves nothing
  const summary = {
    findings: results.reduce((sum, r) => sum + r.findings.length, 0),
    TP: tp,
    FP: fp,
    debatable: total('debatable'),
    unjudged: results.reduce((sum, r) => sum + r.unjudged.length, 0),
    precision,
    bugsFound: found,
    bugsFoundStrictly: foundStrictly,
    bugs: bugRows.length,
  };
  const last = `precision ${precision.toFixed(1)}% (${tp}/${tp + fp}) · bugs found ${found}/${bugRows.length} (${foundStrictly} with nothing left on the fix)`;

  if (options.json) {
    process.stdout.write(JSON.stringify({ projects: results, summary, errors, line: last }, null, 2) + '\n');
  } else {
    for (const r of results) {
      const size = r.files === undefined ? '' : ` · ${r.files} files, ${r.lines} lines, ${r.entries} entries`;
      console.log(`${r.name} (${r.repo} ${r.commit.slice(0, 10)})${size}`);
      if (r.error) console.log(`  ERROR ${r.error}`);
      if (r.leftOut && r.leftOut.length)
        console.log(`  left out (blobs missing from the snapshot, not in exclude): ${r.leftOut.join(', ')}`);
      console.log(
        `  findings ${r.findings.length}: TP ${r.TP}, FP ${r.FP}, debatable ${r.debatable}, unjudged ${r.unjudged.length}`,
      );
      for (const f of r.unjudged)
        console.log(
          `    NEW ${f.path}:${f.line} ${f.code} key=${JSON.stringify(f.key)} model=${f.model || '-'}\n        ${f.message}`,
        );
      if (r.bugs.length) {
        console.log(`  mined bugs found ${r.bugs.filter((b) => b.found).length}/${r.bugs.length}`);
        for (const b of r.bugs) {
          const state = b.error
            ? `ERROR ${b.error}`
            : b.found
              ? `found: the fix resolves ${b.resolved.length} of the parent's claims, ${b.remainingOnFix} finding(s) left on the fix`
              : b.flaggedOnParent
                ? `still flagged on the fix (${b.remainingOnFix}), every claim kept`
                : 'missed';
          console.log(`    ${b.fix_commit.slice(0, 10)} ${JSON.stringify(b.must_name)}: ${state}`);
          for (const claim of b.found ? b.resolved : []) console.log(`        resolved: ${claim}`);
        }
      }
    }
    for (const error of errors) console.log(`error: ${error}`);
    console.log(last);
  }
  process.exitCode = errors.length ? 1 : 0;
}

try {
  main();
} catch (error) {
  process.stderr.write(`realworld: ${error.stack || error.message}\n`);
  process.exitCode = 1;
}
