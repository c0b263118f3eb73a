from django.contrib import admin

from .models import Review


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("title", "product", "display_name", "rating", "is_published", "created_at")
    list_filter = ("is_published", "rating")
    search_fields = ("title", "body", "display_name")
    raw_id_fields = ("product", "user")
    actions = ("publish",)

    @admin.action(description="Publish selected reviews")
    def publish(self, request, queryset):
        # save() each review rather than queryset.update(), so the receivers run.
        for review in queryset.filter(is_published=False):
            review.is_published = True
            review.save(update_fields=["is_published"])
