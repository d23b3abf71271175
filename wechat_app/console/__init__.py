"""Desktop console for institutions, assessment bodies and health authorities (/console/).

`bp` is the console's one blueprint; its views live in views.py (sign-in, reviews, audit log),
institution.py, authority.py, exams.py and training.py, which add their routes to it when imported here.
"""
from wechat_app.console import authority, exams, institution, training, views  # noqa: F401  (their routes join bp)
from wechat_app.console.common import bp

__all__ = ["bp"]
