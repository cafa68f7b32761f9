"""Wenku web application (Flask)."""
