/**
 * What djcache knows of third-party libraries' models, kept small and in one place so that it
 * can become Python stubs read like project code (issue 18): swapper's swappable models and
 * django-taggit's tag relation.
 */

/** `swapper.load_model(app, model)`: the model that setting `APP_MODEL_MODEL` names, else app.model. */
export const SWAPPER_LOAD_MODEL = 'swapper.load_model';
/** `swapper.get_model_name(app, model)`: that model's label. */
export const SWAPPER_MODEL_NAME = 'swapper.get_model_name';

/** The setting that swaps swapper's (app, model) out. */
export function swapperSetting(app: string, model: string): string {
  return `${app}_${model}_MODEL`.toUpperCase();
}

/**
 * django-taggit: `TaggableManager()` (and subclasses) is a many-to-many relation to `Tag` through
 * `TaggedItem` unless `through=` names another model; its add/remove/set/clear send m2m_changed.
 */
export const TAGGIT = {
  manager: 'taggit.managers.TaggableManager',
  tag: { id: 'taggit.Tag', table: 'taggit_tag' },
  through: { id: 'taggit.TaggedItem', table: 'taggit_taggeditem' },
};

/**
 * django-cachalot caches every ORM query and drops it on any write to the tables it read (updates,
 * bulk writes and raw SQL through Django's connection included), so its own cache needs no
 * finding. An entry of the project's own still stores its copy of the value: cachalot never
 * deletes that, so coverage is unchanged and only the hover says where the reads come from.
 */
export function usesCachalot(installedApps: readonly string[]): boolean {
  return installedApps.includes('cachalot');
}
