from .services import category_nav


def navigation(request):
    return {"nav_categories": category_nav()}
