/**
 * Custom template tags of the `templatetags/` libraries a template loads with `{% load %}`:
 * `@register.simple_tag` renders what the function returns, `@register.inclusion_tag("x.html")`
 * renders x.html with the dict it returns as the context.
 */
import type { PythonFacts } from '../facts/types';
import type { Expr } from '../syntax/ir';
import type { InterpreterApi } from './interp/api';

export interface TemplateTag {
  file: PythonFacts;
  idx: number;
  /** The inclusion tag's template name; undefined for a simple tag. */
  template?: string;
  /** `takes_context=True`: the first parameter is the template context, not a tag argument. */
  takesContext: boolean;
}

const LIBRARY_MODULE = /(?:^|\.)templatetags\.(\w+)$/;

/** The tags of the libraries `loads` names, by tag name; a name two libraries define is left out (which one wins is unknown). */
export function loadedTags(interp: InterpreterApi, loads: string[]): Map<string, TemplateTag> {
  const memo = interp.memoTable<Map<string, TemplateTag>>('templateTags');
  const memoKey = loads.join(' ');
  const known = memo.get(memoKey);
  if (known) return known;
  const tags = new Map<string, TemplateTag>();
  const ambiguous = new Set<string>();
  for (const file of interp.ws.python) {
    const library = LIBRARY_MODULE.exec(file.module)?.[1];
    if (!library || !loads.includes(library)) continue;
    file.functions.forEach((fn, idx) => {
      if (fn.parent !== null || fn.cls !== null) return;
      for (const d of fn.decorators) {
        const tag = registration(d, fn.name);
        if (!tag) continue;
        if (tags.has(tag.name)) ambiguous.add(tag.name);
        tags.set(tag.name, { file, idx, template: tag.template, takesContext: tag.takesContext });
      }
    });
  }
  for (const name of ambiguous) tags.delete(name);
  memo.set(memoKey, tags);
  return tags;
}

/** `@register.simple_tag`, `@register.simple_tag(name=…, takes_context=…)`, `@register.inclusion_tag("x.html", …)`. */
function registration(d: Expr, fnName: string): { name: string; template?: string; takesContext: boolean } | undefined {
  const callee = d.t === 'call' ? d.fn : d;
  if (callee.t !== 'attr' || (callee.name !== 'simple_tag' && callee.name !== 'inclusion_tag')) return undefined;
  const call = d.t === 'call' ? d : undefined;
  const kw = (name: string) => call?.kw.find((k) => k.name === name)?.value;
  const named = kw('name');
  const name = named?.t === 'str' ? named.v : fnName;
  const flag = kw('takes_context');
  const takesContext = flag?.t === 'const' && flag.v === 'True';
  if (callee.name === 'simple_tag') return { name, takesContext };
  const filename = call?.args[0] ?? kw('filename');
  // A template given as an object or a computed name is not known: the tag is left alone.
  if (filename?.t !== 'str') return undefined;
  return { name, template: filename.v, takesContext };
}
