/** The clean app every fuzz case runs beside, and the messages of the fuzz worker. */

/**
 * Names no fixture uses (app, models, cache key), so a mutated fixture file cannot legitimately
 * change its findings: it loses one only when its own files were misread.
 */
export const SENTINEL: Record<string, string> = {
  'sentinelapp/__init__.py': '',
  'sentinelapp/apps.py':
    'from django.apps import AppConfig\n\n\nclass SentinelappConfig(AppConfig):\n    name = "sentinelapp"\n',
  'sentinelapp/models.py': [
    'from django.db import models',
    '',
    '',
    'class SentinelWidget(models.Model):',
    '    label = models.CharField(max_length=100)',
    '    shown = models.BooleanField(default=True)',
    '',
  ].join('\n'),
  'sentinelapp/services.py': [
    'from django.core.cache import cache',
    '',
    'from .models import SentinelWidget',
    '',
    '',
    'def shown_widgets():',
    '    rows = cache.get("fuzz-sentinel:widgets")',
    '    if rows is None:',
    '        rows = list(SentinelWidget.objects.filter(shown=True))',
    '        cache.set("fuzz-sentinel:widgets", rows, None)',
    '    return rows',
    '',
    '',
    'def widget_labels():',
    '    labels = cache.get("fuzz-sentinel:labels")',
    '    if labels is None:',
    '        labels = list(SentinelWidget.objects.values_list("label", flat=True))',
    '        cache.set("fuzz-sentinel:labels", labels, 300)',
    '    return labels',
    '',
  ].join('\n'),
  // Renders the mutated template, so that it is analysed as a rendered page (fragment entries and all).
  'sentinelapp/views.py':
    'from django.shortcuts import render\n\n\ndef mutant_page(request):\n    return render(request, "mutant.html", {"xs": [1]})\n',
  'sentinelapp/templates/sentinelapp/list.html':
    '{% load cache %}\n{% cache 600 sentinel_widgets %}\n{% for w in widgets %}{{ w.label }}{% endfor %}\n{% endcache %}\n',
};

/** One case's outcome: an error that escaped the engine, or sentinel findings that went missing. */
export interface CaseReport {
  seed: number;
  mutation: string;
  file: string;
  error?: string;
  missing: string[];
}

/** What the fuzz worker sends: its sentinel findings once loaded, each case's start and report, and the end of a batch. */
export type WorkerMessage =
  { ready: true; expected: string[] } | { started: number } | { report: CaseReport } | { batchDone: true };
