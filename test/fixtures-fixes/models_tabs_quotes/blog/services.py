from django.core.cache import cache

from .models import Tag


def tag_names():
	names = cache.get('tags:all')
	if names is None:
		names = list(Tag.objects.values_list('name', flat=True))
		cache.set('tags:all', names, None)
	return names


def add_tag(name):
	Tag.objects.create(name=name)


def drop_tag(pk):
	Tag.objects.filter(pk=pk).delete()
