"""Gradio layout and wiring of stylekit's web app; the logic lives in stylekit.studio."""

# The concurrency_id of every event that computes on the accelerator (or the CPU): events sharing it
# take turns, at most the lowest concurrency_limit among them at once.
DEVICE_QUEUE = "device"
