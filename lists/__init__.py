"""Bundled list files (this folder ships inside the wheel as screener.bundled_lists)."""
