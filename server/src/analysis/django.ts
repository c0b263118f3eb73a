/** Hand-written Django knowledge: qualified names, ORM method classes, built-in models. */
import type { WriteKind } from './domain/events';
import { nameTable } from '../text/nameTable';

/** Folds Django's internal module paths onto the public ones, so both spellings resolve alike. */
export function canonical(q: string): string {
  if (q.startsWith('django.db.models.') && !q.startsWith('django.db.models.signals.')) {
    const last = q.slice(q.lastIndexOf('.') + 1);
    return `django.db.models.${last}`;
  }
  if (q.startsWith('django.dispatch.dispatcher.'))
    return `django.dispatch.${q.slice('django.dispatch.dispatcher.'.length)}`;
  if (q === 'django.core.cache.backends.base.DEFAULT_CACHE_ALIAS') return 'django.core.cache.DEFAULT_CACHE_ALIAS';
  if (q.startsWith('django.template.loader.')) return `django.template.loader.${q.slice(q.lastIndexOf('.') + 1)}`;
  if (q.startsWith('django.views.decorators.cache.'))
    return `django.views.decorators.cache.${q.slice(q.lastIndexOf('.') + 1)}`;
  if (q.startsWith('django.core.cache.utils.')) return `django.core.cache.utils.${q.slice(q.lastIndexOf('.') + 1)}`;
  return q;
}

export const CACHE_OBJECT = 'django.core.cache.cache';
export const CACHES_HANDLER = 'django.core.cache.caches';

const CACHE_READ_METHODS = new Set(['get', 'get_many', 'has_key', 'ttl', 'keys', 'iter_keys']);
const CACHE_WRITE_METHODS = new Set(['set', 'add', 'set_many', 'get_or_set']);
const CACHE_DELETE_METHODS = new Set([
  'delete',
  'delete_many',
  'clear',
  'delete_pattern',
  'incr_version',
  'decr_version',
]);
const CACHE_COUNTER_METHODS = new Set(['incr', 'decr', 'touch', 'expire', 'persist', 'lock']);

export const CACHE_METHODS: ReadonlySet<string> = new Set([
  ...CACHE_READ_METHODS,
  ...CACHE_WRITE_METHODS,
  ...CACHE_DELETE_METHODS,
  ...CACHE_COUNTER_METHODS,
]);

/** `aget` → `get`: Django's async cache API mirrors the sync one. */
export function syncCacheMethod(name: string): string | undefined {
  if (CACHE_METHODS.has(name)) return name;
  if (name.startsWith('a') && CACHE_METHODS.has(name.slice(1))) return name.slice(1);
  return undefined;
}

/** What sends a project signal: `signal.send(sender, ...)` and its robust and async forms. */
export const SIGNAL_SEND_METHODS: ReadonlySet<string> = new Set(['send', 'send_robust', 'asend', 'asend_robust']);

export const MODEL_BASE = 'django.db.models.Model';

/** Library classes known to be models, whose subclasses are models. */
export const LIBRARY_MODEL_BASES =
  /^(django\.contrib\.auth\.models\.(AbstractUser|AbstractBaseUser|PermissionsMixin)|django\.contrib\.auth\.base_user\.AbstractBaseUser|mptt\.models\.MPTTModel|treebeard\.(mp_tree\.MP_Node|ns_tree\.NS_Node|al_tree\.AL_Node)|polymorphic\.models\.PolymorphicModel|django_extensions\.db\.models\.\w+Model|model_utils\.models\.\w+Model)$/;

/**
 * An installed package's class named like a model: a capitalised class of a `models` or
 * `abstract_models` module (`oscar.apps.catalogue.abstract_models.AbstractProduct`,
 * `taggit.models.TagBase`), not one of the helpers such modules also hold.
 */
export const PACKAGE_MODEL_NAME =
  /^(?!django\.)[\w.]*\b(models|abstract_models)\.(?![A-Z]\w*(Mixin|Manager|QuerySet|Choices|Field|Descriptor|Enum|Error|Exception)$)[A-Z]\w*$/;

/** Options only a model's Meta has (a form's, serializer's or factory's Meta names a `model` instead). */
export const MODEL_META_OPTIONS = new Set([
  'abstract',
  'app_label',
  'db_table',
  'unique_together',
  'index_together',
  'indexes',
  'constraints',
  'get_latest_by',
  'order_with_respect_to',
  'permissions',
  'default_permissions',
  'proxy',
  'swappable',
  'managed',
  'verbose_name_plural',
  'base_manager_name',
  'default_manager_name',
  'default_related_name',
]);

/** `six.with_metaclass(Meta, *bases)` and its copies: a class statement's bases given through a call. */
export const WITH_METACLASS = 'with_metaclass';

export const RELATION_FIELDS = nameTable<'fk' | 'o2o' | 'm2m'>({
  'django.db.models.ForeignKey': 'fk',
  'django.db.models.OneToOneField': 'o2o',
  'django.db.models.ManyToManyField': 'm2m',
  'django.db.models.ParentalKey': 'fk',
  'modelcluster.fields.ParentalKey': 'fk',
  'modelcluster.fields.ParentalManyToManyField': 'm2m',
  'mptt.fields.TreeForeignKey': 'fk',
});

/** `Manager.from_queryset(QS)`: a manager class with the queryset's methods. */
export const FROM_QUERYSET = 'from_queryset';

/** A custom user model that inherits one of these bases has `groups` and `user_permissions`, through auto-created tables. */
export const PERMISSIONS_RELATIONS = {
  bases: new Set(['django.contrib.auth.models.PermissionsMixin', 'django.contrib.auth.models.AbstractUser']),
  relations: [
    { name: 'groups', kind: 'm2m' as const, target: 'auth.Group', relatedName: 'user_set' },
    { name: 'user_permissions', kind: 'm2m' as const, target: 'auth.Permission', relatedName: 'user_set' },
  ],
};

export const GENERIC_FK = new Set([
  'django.contrib.contenttypes.fields.GenericForeignKey',
  'django.contrib.contenttypes.generic.GenericForeignKey',
]);

/** The reverse side of a GenericForeignKey: the model that declares it is one the key points to. */
export const GENERIC_RELATION = new Set([
  'django.contrib.contenttypes.fields.GenericRelation',
  'django.contrib.contenttypes.generic.GenericRelation',
]);

/** QuerySet methods that return another QuerySet of the same model. */
export const QS_CHAIN = new Set([
  'all',
  'filter',
  'exclude',
  'order_by',
  'select_related',
  'prefetch_related',
  'annotate',
  'alias',
  'values',
  'values_list',
  'distinct',
  'only',
  'defer',
  'using',
  'select_for_update',
  'reverse',
  'none',
  'union',
  'intersection',
  'difference',
  'extra',
  'dates',
  'datetimes',
  'iterator',
  'complex_filter',
  'get_queryset',
  'with_tree_fields',
  'order_by_id',
]);
/** QuerySet methods that return one instance. */
export const QS_INSTANCE = new Set([
  'get',
  'first',
  'last',
  'earliest',
  'latest',
  'get_current',
  'get_by_natural_key',
  'get_for_model',
  'get_for_id',
  'aget',
  'afirst',
  'alast',
  'aearliest',
  'alatest',
]);
/** QuerySet methods that return plain data computed from rows. */
export const QS_DATA = new Set([
  'count',
  'exists',
  'aggregate',
  'in_bulk',
  'contains',
  'acount',
  'aexists',
  'aaggregate',
  'ain_bulk',
  'explain',
]);
/** Methods whose string arguments are lookups or relation paths. */
export const LOOKUP_ARG_METHODS = new Set([
  'order_by',
  'values',
  'values_list',
  'select_related',
  'prefetch_related',
  'only',
  'defer',
  'distinct',
  'dates',
  'datetimes',
]);

/** ORM writes: method → (kind, does it send model signals). */
export const QS_WRITES = nameTable<{ kind: WriteKind; signals: boolean }>({
  create: { kind: 'save', signals: true },
  get_or_create: { kind: 'save', signals: true },
  update_or_create: { kind: 'save', signals: true },
  update: { kind: 'bulk', signals: false },
  delete: { kind: 'delete', signals: true },
  bulk_create: { kind: 'bulk', signals: false },
  bulk_update: { kind: 'bulk', signals: false },
  acreate: { kind: 'save', signals: true },
  aget_or_create: { kind: 'save', signals: true },
  aupdate_or_create: { kind: 'save', signals: true },
  aupdate: { kind: 'bulk', signals: false },
  adelete: { kind: 'delete', signals: true },
  abulk_create: { kind: 'bulk', signals: false },
  abulk_update: { kind: 'bulk', signals: false },
  // django-cacheops: an UPDATE that drops cacheops' own entries for the model, still with no signal.
  invalidated_update: { kind: 'bulk', signals: false },
});
/**
 * Writes that django-cacheops invalidates its entries for though they send no signal: its own
 * `invalidated_update()`, and `bulk_create()`, which it patches to invalidate each created row.
 */
export const CACHEOPS_INVALIDATED_WRITES = new Set(['invalidated_update', 'bulk_create', 'abulk_create']);
/** ORM writes that only insert rows: they never change or remove a row that is already there. */
export const QS_INSERTS = new Set([
  'create',
  'acreate',
  'get_or_create',
  'aget_or_create',
  'bulk_create',
  'abulk_create',
]);
export const M2M_WRITES = new Set(['add', 'remove', 'set', 'clear', 'aadd', 'aremove', 'aset', 'aclear']);
export const INSTANCE_WRITES = nameTable<{ kind: WriteKind; signals: boolean }>({
  save: { kind: 'save', signals: true },
  asave: { kind: 'save', signals: true },
  delete: { kind: 'delete', signals: true },
  adelete: { kind: 'delete', signals: true },
});

export const MODEL_SIGNALS = nameTable<{ kind: WriteKind; when: 'pre' | 'post' }>({
  'django.db.models.signals.post_save': { kind: 'save', when: 'post' },
  'django.db.models.signals.pre_save': { kind: 'save', when: 'pre' },
  'django.db.models.signals.post_delete': { kind: 'delete', when: 'post' },
  'django.db.models.signals.pre_delete': { kind: 'delete', when: 'pre' },
  'django.db.models.signals.m2m_changed': { kind: 'm2m', when: 'post' },
});
/** Shortcuts that look rows of their first argument up by the keyword arguments: one row, or a list. */
export const GET_OBJECT_OR_404 = 'django.shortcuts.get_object_or_404';
export const GET_LIST_OR_404 = 'django.shortcuts.get_list_or_404';
export const GET_USER_MODEL = 'django.contrib.auth.get_user_model';
/** Project settings as code reads them. */
export const SETTINGS = 'django.conf.settings';
/** `apps.get_model("app", "Model")` or `apps.get_model("app.Model")`. */
export const GET_MODEL = 'django.apps.apps.get_model';
/** TEMPLATES backends by the language they render: Django's (a `{% cache %}` name is taken as written) or Jinja2 (the name is an expression). */
export const TEMPLATE_BACKEND_ENGINES = nameTable<'django' | 'jinja2'>({
  'django.template.backends.django.DjangoTemplates': 'django',
  'django.template.backends.jinja2.Jinja2': 'jinja2',
  'django_jinja.backend.Jinja2': 'jinja2',
});
/** Folder of each app a backend reads with APP_DIRS (django_jinja's `app_dirname` option overrides its default). */
export const TEMPLATE_APP_DIRNAME = nameTable<string>({
  'django.template.backends.django.DjangoTemplates': 'templates',
  'django.template.backends.jinja2.Jinja2': 'jinja2',
  'django_jinja.backend.Jinja2': 'templates',
});
/** django_jinja renders only names ending in `match_extension`, '.jinja' unless set. */
export const DJANGO_JINJA_BACKEND = 'django_jinja.backend.Jinja2';
export const DJANGO_JINJA_DEFAULT_EXTENSION = '.jinja';
/** The key of a `{% cache %}` fragment, by the fragment's name. */
export const FRAGMENT_KEY = 'django.core.cache.utils.make_template_fragment_key';
export const SLUGIFY = 'django.utils.text.slugify';
/** Functions that make the key of a cached page. */
export const PAGE_KEY_FUNCTIONS = [
  'django.utils.cache.get_cache_key',
  'django.utils.cache.learn_cache_key',
  'django.utils.cache._generate_cache_header_key',
];
export const CACHE_PAGE = 'django.views.decorators.cache.cache_page';

/** Middleware that caches every page (the per-site cache): the pair, or the one that does both. */
const SITE_CACHE_MIDDLEWARE = [
  ['django.middleware.cache.UpdateCacheMiddleware', 'django.middleware.cache.FetchFromCacheMiddleware'],
  ['django.middleware.cache.CacheMiddleware'],
];

export function installsSiteCache(middleware: string[]): boolean {
  return SITE_CACHE_MIDDLEWARE.some((names) => names.every((n) => middleware.includes(n)));
}

/** `reverse(name)`: Django's, and django-hosts' (the same name, on a host). */
export const URL_REVERSERS = [
  'django.urls.reverse',
  'django.urls.base.reverse',
  'django.core.urlresolvers.reverse',
  'django_hosts.resolvers.reverse',
  'django_hosts.reverse',
];
/** Test request factories, which the code uses to rebuild the request whose page it deletes. */
export const REQUEST_FACTORIES = new Set(['django.test.RequestFactory', 'django.test.client.RequestFactory']);
export const URL_PARSERS = new Set(['urllib.parse.urlparse', 'urllib.parse.urlsplit', 'urlparse.urlparse']);

/** URL routes that map a pattern to a view: `url()`, `path()`, `re_path()`. */
export const URL_ROUTES = new Set([
  'django.conf.urls.url',
  'django.urls.path',
  'django.urls.re_path',
  'django.urls.conf.path',
  'django.urls.conf.re_path',
]);

/**
 * View decorators whose responses the cache middleware never stores: `never_cache`, and
 * `cache_control` with `private`, `no_cache` or `no_store` (checked at the call).
 */
export const NEVER_CACHE = 'django.views.decorators.cache.never_cache';
export const CACHE_CONTROL = 'django.views.decorators.cache.cache_control';
export const UNCACHED_CONTROLS = ['private', 'no_cache', 'no_store'];
/** Answers GET with 405, which the cache middleware does not store. */
export const REQUIRE_POST = 'django.views.decorators.http.require_POST';
/** `transaction.on_commit(fn)`: runs `fn` after the transaction commits. */
export const ON_COMMIT = 'django.db.transaction.on_commit';
/** Database cursors, whose `execute()` runs raw SQL: `connection.cursor()`, `connections[alias].cursor()`. */
export const DB_CURSOR = 'django.db.connection.cursor';
export const DB_CURSORS = /^django\.db\.connections\.?.*cursor$/;
export const DB_MODULE = 'django.db';

export const SIGNAL_CLASS = new Set(['django.dispatch.Signal', 'django.dispatch.dispatcher.Signal']);
export const RECEIVER_DECORATOR = 'django.dispatch.receiver';

export interface BuiltinModel {
  id: string;
  table: string;
  relations: { name: string; kind: 'fk' | 'o2o' | 'm2m'; target: string; relatedName: string | null }[];
}

/** django.contrib models a project reads without defining them. */
export const BUILTIN_MODELS: BuiltinModel[] = [
  {
    id: 'auth.User',
    table: 'auth_user',
    relations: [
      { name: 'groups', kind: 'm2m', target: 'auth.Group', relatedName: 'user_set' },
      { name: 'user_permissions', kind: 'm2m', target: 'auth.Permission', relatedName: 'user_set' },
    ],
  },
  {
    id: 'auth.Group',
    table: 'auth_group',
    relations: [{ name: 'permissions', kind: 'm2m', target: 'auth.Permission', relatedName: 'group_set' }],
  },
  {
    id: 'auth.Permission',
    table: 'auth_permission',
    relations: [
      { name: 'content_type', kind: 'fk', target: 'contenttypes.ContentType', relatedName: 'permission_set' },
    ],
  },
  { id: 'contenttypes.ContentType', table: 'django_content_type', relations: [] },
  { id: 'sites.Site', table: 'django_site', relations: [] },
  {
    id: 'flatpages.FlatPage',
    table: 'django_flatpage',
    relations: [{ name: 'sites', kind: 'm2m', target: 'sites.Site', relatedName: 'flatpage_set' }],
  },
  {
    id: 'redirects.Redirect',
    table: 'django_redirect',
    relations: [{ name: 'site', kind: 'fk', target: 'sites.Site', relatedName: 'redirect_set' }],
  },
];

export const BUILTIN_MODEL_NAMES = nameTable<string>({
  'django.contrib.auth.models.User': 'auth.User',
  'django.contrib.auth.models.Group': 'auth.Group',
  'django.contrib.auth.models.Permission': 'auth.Permission',
  'django.contrib.contenttypes.models.ContentType': 'contenttypes.ContentType',
  'django.contrib.sites.models.Site': 'sites.Site',
  'django.contrib.flatpages.models.FlatPage': 'flatpages.FlatPage',
  'django.contrib.redirects.models.Redirect': 'redirects.Redirect',
});

/** Bases that make a class a model-aware form or serializer whose `.save()` writes Meta.model. */
export const MODEL_FORM_BASES = new Set([
  'django.forms.ModelForm',
  'django.forms.models.ModelForm',
  'rest_framework.serializers.ModelSerializer',
  'rest_framework.serializers.HyperlinkedModelSerializer',
]);

/** Bases of Django's forms: a workspace class inheriting one is a form. */
export const FORM_BASE = /^django\.forms\./;

/**
 * View bases whose own form_valid() may save the form: ModelFormMixin's, the auth views' (a
 * password change saves its form), and any base from outside Django (a third-party view's).
 */
export const FORM_SAVING_VIEW_BASE =
  /^(django\.views\.generic\.(edit\.)?(CreateView|UpdateView|BaseCreateView|BaseUpdateView|ModelFormMixin)|django\.contrib\.auth\.views\..*|(?!django\.|builtins\.|object$).*)$/;

/** Class attributes by which the admin builds, and saves, a workspace form. */
export const ADMIN_FORM_ATTRS = ['form', 'add_form'];

/** Generic views that write their model: (kinds written). */
export const WRITING_VIEWS = nameTable<('save' | 'delete')[]>({
  'django.views.generic.CreateView': ['save'],
  'django.views.generic.UpdateView': ['save'],
  'django.views.generic.DeleteView': ['delete'],
  'django.views.generic.edit.CreateView': ['save'],
  'django.views.generic.edit.UpdateView': ['save'],
  'django.views.generic.edit.DeleteView': ['delete'],
  'django.views.generic.edit.BaseCreateView': ['save'],
  'django.views.generic.edit.BaseUpdateView': ['save'],
  'django.views.generic.edit.BaseDeleteView': ['delete'],
  'rest_framework.viewsets.ModelViewSet': ['save', 'delete'],
  'rest_framework.generics.CreateAPIView': ['save'],
  'rest_framework.generics.UpdateAPIView': ['save'],
  'rest_framework.generics.DestroyAPIView': ['delete'],
  'rest_framework.generics.ListCreateAPIView': ['save'],
  'rest_framework.generics.RetrieveUpdateAPIView': ['save'],
  'rest_framework.generics.RetrieveDestroyAPIView': ['delete'],
  'rest_framework.generics.RetrieveUpdateDestroyAPIView': ['save', 'delete'],
  'rest_framework.mixins.CreateModelMixin': ['save'],
  'rest_framework.mixins.UpdateModelMixin': ['save'],
  'rest_framework.mixins.DestroyModelMixin': ['delete'],
});

/** Functions that render a template with a context: (template arg index, context arg index). */
export const RENDER_FUNCTIONS = nameTable<{ template: number; context: number }>({
  'django.shortcuts.render': { template: 1, context: 2 },
  'django.template.loader.render_to_string': { template: 0, context: 1 },
  'django.template.response.TemplateResponse': { template: 1, context: 2 },
  'django.shortcuts.render_to_response': { template: 0, context: 1 },
});

/** Builtins and helpers that pass their arguments' data through. */
/** Django's text conversions: the text of a string (or a string parameter) is unchanged. */
export const TEXT_FUNCTIONS = [
  'django.utils.encoding.force_str',
  'django.utils.encoding.force_text',
  'django.utils.encoding.smart_str',
  'django.utils.encoding.smart_text',
];

export const PASS_THROUGH = new Set([
  'list',
  'tuple',
  'set',
  'sorted',
  'reversed',
  'dict',
  'frozenset',
  'iter',
  'next',
  'len',
  'sum',
  'min',
  'max',
  'any',
  'all',
  'enumerate',
  'zip',
  'map',
  'filter',
  'str',
  'repr',
  'int',
  'float',
  'bool',
  'json.dumps',
  'json.loads',
]);

export const HASH_FUNCTIONS =
  /^(hashlib\.|_?hashlib\.|django\.utils\.crypto\.|zlib\.crc32|binascii\.crc32|xxhash\.|mmh3\.)/;

/** Properties of every Django user class that are the same for any row: reading them reads no data. */
export const USER_CONSTANT_ATTRIBUTES = new Set(['is_authenticated', 'is_anonymous']);

/** Django's `Q` lookup object, by the names it is imported under. */
export const Q_OBJECTS = ['django.db.models.Q', 'django.db.models.query_utils.Q'];

/**
 * ModelAdmin methods Django calls with the row being saved or deleted, by the position of that
 * parameter (`self` is 0): `save_model(self, request, obj, form, change)`.
 */
export const ADMIN_ROW_METHODS = nameTable<number>({
  save_model: 2,
  delete_model: 2,
  response_add: 2,
  response_change: 2,
});
/** Base classes of admins and inlines, Django's and packages' (`ImportExportModelAdmin`), by qualified name. */
export const ADMIN_BASE = /^django\.contrib\.admin\.|(Admin|Inline)$/;
/** ModelAdmin methods Django calls with a queryset of the admin's model at position 2, as it calls actions. */
export const ADMIN_QUERYSET_METHODS = new Set(['delete_queryset', 'get_search_results']);
