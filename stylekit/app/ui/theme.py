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
h1 small { font-size: 0.45em; font-weight: 400; color: var(--body-text-color-subdued); margin-left: 0.5em; }
#status { min-height: 2.6em; font-variant-numeric: tabular-nums; }
/* the run bar: Stylize and Stop over the time estimate, one small line */
#run-bar { gap: 4px; }
#estimate, #estimate p { margin: 0; font-size: var(--text-sm); color: var(--body-text-color-subdued); }
/* the live sliders under the result, compact so both stay in view at 1280x900 */
#steer .form { border: none; }
#steer .prose p { margin: 4px 8px 0; font-size: var(--text-sm); }
/* pop-ups at the bottom left, out of the way of Stylize (top right on a desktop) and above the run bar (pinned
   at the bottom on a phone); top level, not in a media query: only top-level rules reach outside .contain */
.toast-wrap { top: auto !important; bottom: 96px; left: var(--size-3) !important; right: auto !important;
              align-items: start !important; }
/* a loss plot's legend (the page's own: it wraps on a phone, where the plot's was cut off) */
.loss-legend { display: flex; flex-wrap: wrap; gap: 2px 14px; margin: -4px 0 0; padding: 0 12px;
               font-size: var(--text-sm); color: var(--body-text-color); }
.loss-legend i { display: inline-block; width: 9px; height: 9px; margin-right: 5px; border: 2px solid;
                 border-radius: 50%; vertical-align: -1px; }
/* the question before a long run: amber, in the run's column, its answers side by side */
#confirm {
  padding: 10px 12px; border: 1px solid var(--secondary-300); background: var(--secondary-50); scroll-margin-top: 12px;
}
#confirm #confirm { padding: 0; border: none; }  /* a group repeats its id on an inner element */
#confirm > * { background: transparent; }
/* a video run's progress: a full-width bar over its status line */
#fast-video-status { min-height: 2.6em; font-variant-numeric: tabular-nums; }
#fast-video-status progress {
  display: block; width: 100%; height: 8px; margin-bottom: 4px; border: none; border-radius: 4px;
  appearance: none; background: var(--neutral-200); overflow: hidden;
}
#fast-video-status progress::-webkit-progress-bar { background: var(--neutral-200); }
#fast-video-status progress::-webkit-progress-value { background: var(--color-accent); }
#fast-video-status progress::-moz-progress-bar { background: var(--color-accent); }
/* the gallery: every painting visible (no inner scrolling), its caption ("Title, Painter, year") under it, whole */
#gallery .grid-wrap { height: auto !important; max-height: none !important; overflow: visible !important; }
#gallery .grid-container { grid-auto-rows: auto; }
#gallery .thumbnail-item { display: flex; flex-direction: column; height: auto; aspect-ratio: auto; }
#gallery .thumbnail-item img { width: 100%; height: 96px; flex: none; object-fit: cover; }
#gallery .caption-label {
  position: static; transform: none; max-width: none; margin: 0; padding: 3px 4px 4px;
  white-space: normal; overflow: visible; text-overflow: clip; text-align: left;
  font-size: 0.7em; line-height: 1.25; background: none; box-shadow: none; border: none;
}
@media (max-width: 640px) {
  #gallery .grid-container { grid-template-columns: repeat(2, minmax(0, 1fr)) !important; }
  /* Stylize and Stop stay at the bottom of the screen, in reach from the painting choice */
  #run-bar {
    position: fixed; left: 0; right: 0; bottom: 0; z-index: 100; margin: 0; padding: 8px 12px;
    flex-wrap: nowrap; background: var(--background-fill-primary); box-shadow: 0 -2px 10px rgba(0, 0, 0, 0.15);
  }
  #run-bar button { min-width: 0; }
  #run-bar #estimate { text-align: center; }
  .gradio-container { padding-bottom: 104px !important; }
  /* the region editor from edge to edge of the screen, so it opens with the photo fitted to the phone's width */
  #regions { width: 100vw !important; max-width: 100vw; margin-left: calc(50% - 50vw) !important; border-radius: 0; }
  #regions-panel { overflow: visible !important; }
  /* a brush's painting on a line of its own, the part of it and its strength side by side under it */
  .region-row .form { flex-wrap: wrap !important; }
  .region-row .form > :first-child { flex: 1 1 100% !important; min-width: 100% !important; }
  .region-row .form > :not(:first-child) { flex: 2 1 0 !important; min-width: 0 !important; }
  .region-row .form > :nth-child(2) { flex-grow: 3 !important; }
  .region-row .form > :last-child { min-width: min-content !important; }
  /* every tab's name in the bar, none behind "..." */
  .tab-container > button { padding-left: 6px !important; padding-right: 6px !important; font-size: var(--text-sm); }
}
"""
