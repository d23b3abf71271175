"""Development-only WeChat simulator: a chat screen and a fake WeChat API (never in production)."""
