"""The Gradio layout and wiring of stylekit's web app; the logic lives one level up (``stylekit.app``)."""
