from django.http import Http404
from django.views.generic import DetailView, ListView, TemplateView

from reviews.services import rating_summary
from shop.utils.text import render_markdown

from .models import Category, Product
from .related import related_products
from .services import category_page, get_product


class ProductListView(ListView):
    template_name = "catalog/product_list.html"
    context_object_name = "products"
    paginate_by = 24

    def get_queryset(self):
        return Product.objects.active().select_related("category")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["categories"] = Category.objects.filter(parent__isnull=True).prefetch_related("children")
        return context


class CategoryDetailView(DetailView):
    model = Category
    template_name = "catalog/category_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            page = max(1, int(self.request.GET.get("page", 1)))
        except ValueError:
            page = 1
        context["page"] = page
        context["products"] = category_page(self.object, page)
        return context


class ProductDetailView(TemplateView):
    template_name = "catalog/product_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            product = get_product(self.kwargs["pk"])
        except Product.DoesNotExist:
            raise Http404("No such product")
        context["product"] = product
        context["description_html"] = render_markdown(product.description)
        context["rating"] = rating_summary(product.pk)
        context["related"] = related_products(product)
        return context
