/** Write-once columns (analysis/writeOnce.ts): declared so, and set by no code on a row that exists. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ModelRegistry } from '../server/src/analysis/models';
import { Workspace } from '../server/src/analysis/workspace';
import { analysedFacts } from '../server/src/analysis/fileSelection';
import { type WriteOnce, writeOnceColumns } from '../server/src/analysis/writeOnce';
import { factsOf } from './tree';

const MODELS = `
import uuid
from django.db import models


class Author(models.Model):
    ref = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    code = models.CharField(max_length=8, primary_key=True)
    name = models.CharField(max_length=100)
`;

async function writeOnceWith(code: string): Promise<WriteOnce> {
  const files = new Map(
    [
      ['shelf/__init__.py', ''],
      ['shelf/models.py', MODELS],
      ['shelf/editing.py', code],
    ].map(([p, text]) => [p, new TextEncoder().encode(text)]),
  );
  const ws = new Workspace(analysedFacts(await factsOf(files)));
  return writeOnceColumns(ws.python, new ModelRegistry(ws));
}

test('an editable=False field nothing sets is write-once; an editable field is not', async () => {
  const writeOnce = await writeOnceWith('def rename(a, name):\n    a.name = name\n    a.save()\n');
  assert.equal(writeOnce('shelf.Author', 'ref'), true);
  assert.equal(writeOnce('shelf.Author', 'name'), false);
});

test('primary keys are write-once even when code assigns them', async () => {
  const writeOnce = await writeOnceWith('def copy(a):\n    a.code = "x"\n    a.pk = None\n    a.save()\n');
  assert.equal(writeOnce('shelf.Author', 'code'), true);
  assert.equal(writeOnce('shelf.Author', 'id'), true);
  assert.equal(writeOnce('shelf.Author', 'ref'), true);
});

test('code that may set the field on a row makes it not write-once', async () => {
  const setting = [
    'def f(a, b):\n    a.ref = b.ref\n',
    'def f(a, b):\n    a.ref, a.name = b.ref, b.name\n',
    'def f(a, v):\n    setattr(a, "ref", v)\n',
    'def f(a, name, v):\n    setattr(a, name, v)\n',
    'from .models import Author\n\ndef f(r):\n    Author.objects.update_or_create(name=r, defaults={"ref": r})\n',
    'from .models import Author\n\ndef f(r, d):\n    Author.objects.update_or_create(name=r, defaults=d)\n',
    'from .models import Author\n\ndef f(r, pk):\n    Author(pk=pk, ref=r).save()\n',
    'def f(a, old):\n    a.pk = old.pk\n    a.save()\n',
    'from rest_framework import serializers\n\nclass S(serializers.Serializer):\n    ref = serializers.UUIDField()\n',
    'from rest_framework import serializers\n\nclass S(serializers.Serializer):\n    r = serializers.UUIDField(source="ref")\n',
  ];
  for (const code of setting) assert.equal((await writeOnceWith(code))('shelf.Author', 'ref'), false, code);
});

test('literal names of other fields, read-only serializer fields and new rows leave it write-once', async () => {
  const leaving = [
    'def f(a, v):\n    setattr(a, "name", v)\n',
    'from .models import Author\n\ndef f(r):\n    Author.objects.update_or_create(ref=r, defaults={"name": r})\n',
    'from .models import Author\n\ndef f(r):\n    Author(ref=r, name="n").save()\n',
    'from rest_framework import serializers\n\nclass S(serializers.Serializer):\n    ref = serializers.UUIDField(read_only=True)\n',
  ];
  for (const code of leaving) assert.equal((await writeOnceWith(code))('shelf.Author', 'ref'), true, code);
});
