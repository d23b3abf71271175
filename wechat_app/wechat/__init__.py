"""The only package that talks WeChat: callback, router, OAuth, API client, menu, sender."""
