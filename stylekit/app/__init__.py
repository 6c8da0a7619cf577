"""The web app's wing: its logic (free of Gradio, testable directly) and, in ``ui``, its Gradio layout.

Nothing outside this package imports it; it is the only part of stylekit that
imports gradio or pandas. ``python app.py`` or ``stylekit-app`` starts it.
"""
