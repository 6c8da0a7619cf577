"""The app's look: a Gradio theme with local fonts (no web fonts: it must work offline) and a little CSS."""

from __future__ import annotations

import gradio as gr

THEME = gr.themes.Soft(
    primary_hue="indigo",
    secondary_hue="amber",
    font=["ui-sans-serif", "system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
)

CSS = """
/* log sliders: the info line shows the value; hide the raw log10 position and range */
.log-slider input[type="number"], .log-slider .min_value, .log-slider .max_value { display: none; }
.log-slider .info-text { font-weight: 600; font-size: var(--text-md); color: var(--body-text-color); }
#result img { width: 100%; height: 100%; object-fit: contain; }
#status { min-height: 2.6em; font-variant-numeric: tabular-nums; }
#gallery .caption-label { font-size: 0.75em; }
"""
