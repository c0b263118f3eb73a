/**
 * A generated Django project with a chosen number of cache entries over a shared, fixed set of
 * models: the bench case for how the analysis grows with the number of entries (`npm run bench --
 * --entries 1000,3000,10000`). Each entry is its own function reading one model into its own
 * key; half the entries have a delete in that model's receivers (a literal prefix and the
 * instance pk), a tenth of the receivers' deletes have keys the engine cannot resolve, and there
 * is one ORM write per four entries, spread over the models. Deletes and writes grow with the
 * entries, as they do in real projects, so any entries × deletes or entries × writes loop shows.
 */
import { mkdirSync, writeFileSync } from 'fs';
import * as path from 'path';

const APPS = 6;
const MODELS_PER_APP = 6;
const ENTRIES_PER_FILE = 200;

const appName = (a: number) => `app${a}`;
const modelName = (m: number) => `Thing${m}`;

/** Writes the project into `dir` (which must be empty or absent). */
export function writeManyEntriesProject(dir: string, entries: number): void {
  const write = (rel: string, text: string) => {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  };
  const apps = Array.from({ length: APPS }, (_, a) => appName(a));
  write('manage.py', 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")\n');
  write('project/__init__.py', '');
  write(
    'project/settings.py',
    `INSTALLED_APPS = [\n${apps.map((a) => `    "${a}",\n`).join('')}]\n` +
      'CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}\n',
  );
  // Entry i lives in app i % APPS and reads model (i / APPS) % MODELS_PER_APP of that app.
  const placed = Array.from({ length: entries }, (_, i) => ({
    i,
    app: i % APPS,
    model: Math.floor(i / APPS) % MODELS_PER_APP,
  }));
  for (let a = 0; a < APPS; a++) {
    const app = appName(a);
    write(`${app}/__init__.py`, '');
    write(
      `${app}/apps.py`,
      'from django.apps import AppConfig\n\n\n' +
        `class App${a}Config(AppConfig):\n    name = "${app}"\n\n    def ready(self):\n        from . import signals  # noqa: F401\n`,
    );
    const models = Array.from({ length: MODELS_PER_APP }, (_, m) => modelName(m));
    write(
      `${app}/models.py`,
      'from django.db import models\n\n' +
        models
          .map(
            (name) =>
              `\nclass ${name}(models.Model):\n    name = models.CharField(max_length=100)\n` +
              `    size = models.IntegerField(default=0)\n    note = models.TextField(blank=True)\n`,
          )
          .join('\n'),
    );
    const own = placed.filter((e) => e.app === a);
    const imports = `from django.core.cache import cache\n\nfrom .models import ${models.join(', ')}\n`;
    for (let f = 0; f * ENTRIES_PER_FILE < own.length; f++) {
      const chunk = own.slice(f * ENTRIES_PER_FILE, (f + 1) * ENTRIES_PER_FILE);
      write(
        `${app}/reads${f}.py`,
        imports +
          chunk
            .map(
              (e) =>
                `\n\ndef item_${e.i}(pk):\n    key = f"${app}:m${e.model}:item${e.i}:{pk}"\n` +
                `    value = cache.get(key)\n    if value is None:\n` +
                `        value = list(${modelName(e.model)}.objects.filter(pk=pk).values("name", "size"))\n` +
                `        cache.set(key, value, None)\n    return value\n`,
            )
            .join(''),
      );
    }
    write(
      `${app}/signals.py`,
      'from django.core.cache import cache\nfrom django.db.models.signals import post_delete, post_save\n' +
        `from django.dispatch import receiver\n\nfrom .models import ${models.join(', ')}\n\n\n` +
        'def opaque_key(instance):\n    return instance.computed_cache_key()\n' +
        models
          .map((name, m) => {
            const deleted = own.filter((e) => e.model === m && e.i % 2 === 0);
            const lines = deleted.map((e, k) =>
              k % 10 === 9
                ? '    cache.delete(opaque_key(instance))\n'
                : `    cache.delete(f"${app}:m${m}:item${e.i}:{instance.pk}")\n`,
            );
            return (
              `\n\n@receiver(post_save, sender=${name})\n@receiver(post_delete, sender=${name})\n` +
              `def forget_${name.toLowerCase()}(sender, instance, **kwargs):\n${lines.join('') || '    pass\n'}`
            );
          })
          .join(''),
    );
    const writes = own.filter((e) => e.i % 4 === 0);
    write(
      `${app}/views.py`,
      imports +
        writes
          .map((e, k) =>
            k % 2 === 0
              ? `\n\ndef rename_${e.i}(pk, name):\n    ${modelName(e.model)}.objects.filter(pk=pk).update(name=name)\n`
              : `\n\ndef resize_${e.i}(pk, size):\n    row = ${modelName(e.model)}.objects.get(pk=pk)\n` +
                `    row.size = size\n    row.save()\n`,
          )
          .join(''),
    );
  }
}
