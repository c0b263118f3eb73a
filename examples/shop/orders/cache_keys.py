SHIPPING_METHODS_KEY = "shipping:methods"


def order_summary_key(user_id):
    return f"orders:summary:{user_id}"
