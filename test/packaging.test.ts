import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'fs';
import * as path from 'path';
import { parse as parseToml } from 'smol-toml';
import { parse } from 'yaml';

const repo = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(repo, file), 'utf8');
const pkg = JSON.parse(read('package.json'));

/** The fenced blocks of a language in the README, in order. */
function readmeBlocks(lang: string): string[] {
  return [...read('README.md').matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
}

test('the GitHub action sets up Node, runs djcache check --format sarif, and uploads it to code scanning', () => {
  const action = parse(read('action.yml'));
  assert.equal(action.runs.using, 'composite');
  const steps: { uses?: string; run?: string; with?: Record<string, string> }[] = action.runs.steps;
  assert.match(steps[0].uses ?? '', /^actions\/setup-node@v\d+$/);
  const check = steps.find((s) => s.run?.includes('djcache'));
  assert.match(check?.run ?? '', /npx --yes "djcache@\$version" check "\$DJCACHE_PATH" --format sarif/);
  const upload = steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'));
  assert.equal(upload?.with?.sarif_file, '${{ steps.check.outputs.sarif }}');
});

test("the README's workflow uses this action at the package's version, with code scanning's permission", () => {
  const workflow = readmeBlocks('yaml')
    .map((text) => parse(text))
    .find((doc) => doc.jobs);
  assert.ok(workflow, 'a workflow in the README');
  assert.equal(workflow.permissions['security-events'], 'write');
  const uses = workflow.jobs.djcache.steps.map((s: { uses?: string }) => s.uses);
  const repository = new URL(pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '')).pathname.slice(1);
  assert.deepEqual(uses, ['actions/checkout@v4', `${repository}@v${pkg.version}`]);
});

test('the pre-commit hook runs the CLI on changed Python and template files, serially', () => {
  const [hook] = parse(read('.pre-commit-hooks.yaml'));
  assert.deepEqual(
    {
      id: hook.id,
      entry: hook.entry,
      language: hook.language,
      types_or: hook.types_or,
      pass_filenames: hook.pass_filenames,
    },
    {
      id: 'djcache',
      entry: 'djcache check',
      language: 'node',
      types_or: ['python', 'html', 'jinja'],
      pass_filenames: true,
    },
  );
  assert.ok(Object.keys(pkg.bin).includes('djcache'), 'the entry is a bin of the package');
  const config = readmeBlocks('yaml')
    .map((text) => parse(text))
    .find((doc) => doc.repos);
  assert.deepEqual(config.repos[0].hooks, [{ id: 'djcache' }]);
  assert.equal(config.repos[0].rev, `v${pkg.version}`);
});

test("the README shows users how to use djcache before the contributor's set-up, whose two commands stay", () => {
  const readme = read('README.md');
  const user = readme.indexOf('## Use it on your project');
  const contributor = readme.indexOf('## Contributing: set-up');
  assert.ok(user > 0 && contributor > user);
  for (const command of ['npx djcache check .', 'pip install djcache', 'code --install-extension'])
    assert.ok(readme.slice(user, contributor).includes(command), command);
  const contributorSh = readmeBlocks('sh').filter((block) => readme.indexOf(block) > contributor);
  assert.deepEqual(
    contributorSh.slice(0, 2).map((block) => block.trim()),
    ['npm ci && npm run demo', 'bash scripts/test.sh'],
  );
});

test('the npm package ships the built CLI, the language server, the stubs and the rule docs', () => {
  assert.equal(pkg.private, undefined);
  for (const key of ['repository', 'homepage', 'bugs', 'license', 'keywords']) assert.ok(pkg[key], key);
  assert.deepEqual(pkg.files, [
    'bin/',
    'out/server/src/**/*.js',
    'out/shared/**/*.js',
    'server/stubs/**/*.py',
    'docs/rules/*.md',
  ]);
  assert.equal(pkg.bin.djcache, 'bin/djcache.js');
  assert.equal(pkg.scripts.prepack, 'npm run build');
  // pre-commit installs the hook from a git clone, which has no out/: prepare builds it there.
  assert.equal(pkg.scripts.prepare, 'node scripts/prepare.js');
});

test("the PyPI package's classifiers name the Django versions the runtime's CI tests, and its version is the npm package's", () => {
  const pyproject = parseToml(read('runtime/pyproject.toml')) as {
    project: { version: string; classifiers: string[]; urls: Record<string, string> };
  };
  const tested = /DJANGO_VERSIONS=\(\$\{DJCACHE_CI_DJANGO:-([\d. ]+)\}\)/
    .exec(read('runtime/scripts/ci.sh'))![1]
    .split(' ');
  const classified = pyproject.project.classifiers.flatMap((c) => /^Framework :: Django :: (.+)$/.exec(c)?.[1] ?? []);
  assert.deepEqual(classified, tested);
  assert.equal(pyproject.project.version, pkg.version, 'one version number for all three packages');
  assert.match(
    read('runtime/djcache/__init__.py'),
    new RegExp(`^__version__ = "${pkg.version.replace(/\./g, '\\.')}"$`, 'm'),
  );
  assert.equal(pyproject.project.urls.Homepage, pkg.homepage.replace(/#readme$/, ''));
});

test('the package stage of scripts/test.sh packs, installs and runs each package outside the checkout', () => {
  assert.match(read('scripts/test.sh'), /^stage package bash scripts\/package-check\.sh$/m);
  const check = read('scripts/package-check.sh');
  for (const step of [
    'npm pack',
    'npx --yes --package "$tgz" djcache check',
    'python" -m build',
    'twine" check --strict',
    'npm run --silent package',
    'pre-commit try-repo $REPO djcache --files',
  ])
    assert.ok(check.includes(step), step);
});
