"""Use cases and rules. No flask.request and no wechatpy here; each use case owns one transaction."""
