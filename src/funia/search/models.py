"""The search app keeps no Django models: its document tables are built by `index.py`.

(This module exists so that Django sends the app its `post_migrate` signal.)
"""
